import TCPCore

extension TCPConnection {
    /// Soft errors as they happen: ICMP messages that do not abort the connection (network or
    /// host unreachable, time exceeded...: RFC 9293 §3.9.2.2) and R1 retransmissions without an
    /// answer (§3.8.3). The stream ends when the connection closes, fails or is given up. One
    /// consumer: asking again finishes the previous stream. A hard ICMP error is not a soft one:
    /// the connection's next call throws `TCPConnectionError.unreachable` (and `connect` does).
    /// `ConnectionOptions.reportSoftErrors = false` turns the events off (SHLD-20).
    public func softErrors() async -> AsyncStream<NetworkError> {
        let (stream, continuation) = AsyncStream<NetworkError>.makeStream(bufferingPolicy: .bufferingNewest(16))
        await core.watchSoftErrors(id, continuation)
        return stream
    }

    /// Reads and clears the last soft error, as SO_ERROR does (nil: none since the last read).
    public func takeSoftError() async -> NetworkError? {
        await core.takeSoftError(id)
    }
}

extension StackCore {
    func watchSoftErrors(_ id: ConnectionID, _ continuation: AsyncStream<NetworkError>.Continuation) {
        guard entries[id] != nil, let s = stack.state(of: id), s != .closed else {
            continuation.finish()
            return
        }
        entries[id]!.softErrors?.finish()
        entries[id]!.softErrors = continuation
    }

    func finishSoftErrors(_ id: ConnectionID) {
        guard entries[id]?.softErrors != nil else { return }
        entries[id]!.softErrors!.finish()
        entries[id]!.softErrors = nil
    }

    func takeSoftError(_ id: ConnectionID) -> NetworkError? {
        guard entries[id] != nil else { return nil }
        return (try? stack.takeSoftError(id)) ?? nil
    }
}
