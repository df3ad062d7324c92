import ArgumentParser
import TCPNet
import TCPNetApps
import TCPTrace
import TCPWire

/// `tcpkit tun connect`: a netcat over TCPKit on the TUN interface.
struct TunConnectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "connect",
        abstract: "Connect to HOST PORT over the TUN interface: standard input goes to the connection, what comes back to standard output.",
        discussion: "At the end of standard input TCPKit half-closes (FIN) and keeps reading until the peer closes too."
    )

    @Argument(help: "The address to connect to (the kernel's side is 198.18.0.1 by default).")
    var host: String

    @Argument(help: "The port.")
    var port: UInt16

    @OptionGroup var options: TunOptions

    func validate() throws {
        guard IPAddress(host) != nil else { throw ValidationError("HOST must be an IPv4 or IPv6 address") }
    }

    func run() async throws {
        let session = try options.session()
        let remote = SocketAddress(IPAddress(host)!, port)
        try await session.run(duration: try options.durationSeconds) { session in
            let c: TCPConnection
            do {
                c = try await session.stack.connect(to: remote)
            } catch {
                FileOutput.standardError.line("tcpkit: connect to \(remote): \(error)")
                throw ExitCode(1)
            }
            let received = await Netcat.relay(c, input: StandardInput())
            // Not c.close(): the stack's shutdown in `finish` closes the connection and waits for
            // its closing handshake (LAST-ACK → CLOSED when the peer closed first); a connection
            // given up before (closed, or released with its last reference) would be left to finish
            // after the process, and the interface, are gone. So the session holds it till then.
            session.keep(c)
            if !received { throw ExitCode(1) }
        }
    }
}
