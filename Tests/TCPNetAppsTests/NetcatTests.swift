import Testing
import TCPCore
import TCPNet
import TCPNetApps
import TCPTrace
import TCPWire
#if canImport(Glibc)
import Glibc
#endif

/// A pipe: what is written to `write` is read from `read`.
struct Pipe {
    let read: Int32
    let write: Int32

    init() throws {
        var fds: [Int32] = [0, 0]
        try #require(pipe(&fds) == 0)
        read = fds[0]
        write = fds[1]
    }

    func send(_ bytes: [UInt8]) {
        FileOutput(fd: write).write(bytes)
    }

    /// Everything until every write end is closed.
    func readToEnd() -> [UInt8] {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(read, $0.baseAddress!, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return out }
            out += buffer[..<n]
        }
    }
}

/// `Netcat.relay` (`tcpkit tun connect`) with pipes for its standard streams.
@Suite(.timeLimit(.minutes(1)))
struct NetcatTests {
    @Test("Input to an echo server and back to the output; at the end of the input our FIN, then the server's")
    func relayToEcho() async throws {
        let pair = try AppPair()
        let server = try pair.serveOne(.echo, port: 7)
        let c = try await pair.client.connect(to: SocketAddress(AppPair.serverV4, 7))
        let input = try Pipe(), output = try Pipe(), errors = try Pipe()
        // Less than a pipe's buffer, so the output need not be read while the relay runs.
        let bytes = patternBytes(count: 40_000, seed: 8)
        input.send(bytes)
        close(input.write)
        let received = await Netcat.relay(c, input: StandardInput(fd: input.read), output: FileOutput(fd: output.write),
                                          errors: FileOutput(fd: errors.write), name: "t")
        #expect(received)
        close(output.write)
        close(errors.write)
        #expect(output.readToEnd() == bytes)
        #expect(errors.readToEnd().isEmpty)
        await server.value
        // Both FINs were exchanged: nothing left to send or read on our side, so TIME-WAIT, or
        // already CLOSED when its 100 ms (2×MSL here) ran out first on a busy machine, or gone;
        // never FIN-WAIT or CLOSING (a reset would have been reported on the error stream).
        let state = await c.info()?.state
        #expect(state == .timeWait || state == .closed || state == nil, "\(String(describing: state))")
        await c.close()
        await pair.shutdown()
        for fd in [input.read, output.read, errors.read] { close(fd) }
    }

    @Test("A reset from the peer: reported on the error stream with the name, and relay returns false")
    func relayReportsReset() async throws {
        let pair = try AppPair()
        let listener = try pair.server.listen(port: 9)
        let server = Task {
            guard let s = try? await listener.accept() else { return }
            // Up to our FIN (so our sending is over), then a reset instead of the server's FIN.
            while (try? await s.read()) != nil {}
            await s.abort()
        }
        let c = try await pair.client.connect(to: SocketAddress(AppPair.serverV4, 9))
        let input = try Pipe(), output = try Pipe(), errors = try Pipe()
        input.send(Array("hello".utf8))
        close(input.write)
        let received = await Netcat.relay(c, input: StandardInput(fd: input.read), output: FileOutput(fd: output.write),
                                          errors: FileOutput(fd: errors.write), name: "t")
        #expect(!received)
        close(output.write)
        close(errors.write)
        #expect(output.readToEnd().isEmpty)
        #expect(String(decoding: errors.readToEnd(), as: UTF8.self) == "t: receiving: connection reset by peer\n")
        await server.value
        await c.close()
        await pair.shutdown()
        for fd in [input.read, output.read, errors.read] { close(fd) }
    }
}
