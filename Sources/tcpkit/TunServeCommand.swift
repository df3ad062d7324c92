import ArgumentParser
import TCPNetApps
import TCPTrace

/// `tcpkit tun serve`: a `TCPServer` on the TUN interface.
struct TunServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Listen on the TUN interface and serve each connection: echo, discard or a small HTTP responder."
    )

    @Option(help: "echo (send back what arrives), discard (read and drop), http (answer GET with a short text) or iperf3 (an iperf3 server for `iperf3 -c`, TCP, client sending).")
    var mode: TCPServer.Mode = .http

    @Option(help: "TCP port to listen on.")
    var port: UInt16 = 8080

    @OptionGroup var options: TunOptions

    func run() async throws {
        let session = try options.session()
        let listener = try session.stack.listen(port: port)
        FileOutput.standardError.line("tcpkit: \(mode.rawValue) server on \(options.address):\(port)\(options.address6 == "none" ? "" : " and [\(options.address6)]:\(port)") (interface \(options.device), kernel \(options.kernelAddress))")
        let server = TCPServer(mode: mode)
        // A signal or --duration shuts the stack down, which ends the listener.
        try await session.run(duration: try options.durationSeconds) { _ in await server.run(listener) }
    }
}

extension TCPServer.Mode: ExpressibleByArgument {}
