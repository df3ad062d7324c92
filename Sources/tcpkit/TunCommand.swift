import ArgumentParser

/// `tcpkit tun`: TCPKit on a real network, through a TUN interface to the kernel's own TCP.
struct TunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tun",
        abstract: "Run TCPKit on a TUN interface: serve (echo, discard, HTTP) or connect to the kernel's side.",
        discussion: """
            Creates the TUN interface (--device), gives the kernel's side of it --kernel-address
            (and --kernel-address6) and brings it up; TCPKit answers as --address (and --address6),
            TCP and ping. Needs root; without root or /dev/net/tun it stops with exit status 2.
            Example: `tcpkit tun serve --mode http --port 8080`, then `curl http://198.18.0.2:8080/`.
            """,
        subcommands: [TunServeCommand.self, TunConnectCommand.self]
    )
}
