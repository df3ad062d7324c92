import TCPNet
import TCPTrace

/// A netcat over one connection (`tcpkit tun connect`): standard input goes to the connection,
/// what comes back goes to standard output.
public enum Netcat {
    /// Relays until both directions are over: at the end of `input` a half-close (our FIN, RFC 9293
    /// §3.10.4), and reading goes on until the peer's FIN. A send or receive that fails is reported
    /// on `errors` as "`name`: sending: …" or "`name`: receiving: …"; a failed receive stops
    /// reading `input` too. The caller closes the connection.
    /// - Returns: false when receiving failed (the connection was reset, timed out or shut down).
    public static func relay(_ c: TCPConnection, input: StandardInput, output: FileOutput = .standardOutput,
                             errors: FileOutput = .standardError, name: String = "tcpkit") async -> Bool {
        // The sending half runs on the stack's own thread (`NetworkStack.executor`): each chunk
        // goes into the send buffer there, with no hop to the stack and back per write (the
        // receiving half stays off it: writing to `output` may block).
        async let sent: Void = withTaskExecutorPreference(c.stack.executor) {
            do {
                while let chunk = await input.next() { try await c.write(chunk) }
                try await c.shutdown(.write)
            } catch {
                errors.line("\(name): sending: \(error)")
            }
        }
        var failed = false
        do {
            for try await chunk in c { output.write(chunk) }
        } catch {
            errors.line("\(name): receiving: \(error)")
            failed = true
        }
        if failed { input.stop() }
        await sent
        return !failed
    }
}
