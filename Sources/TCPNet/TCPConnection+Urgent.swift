import TCPCore

/// Urgent data (RFC 9293 §3.8.5, RFC 6093). Urgent bytes are read in line with the rest, by
/// `read` and the iterator; these calls send them and say where they end.
extension TCPConnection {
    /// Queues all of `bytes` as urgent data (MSG_OOB): the urgent pointer of the segments sent
    /// points past them until the peer has them all. Suspends while the send buffer is full.
    /// - Throws: as `write`.
    public func writeUrgent(_ bytes: [UInt8]) async throws(TCPConnectionError) {
        guard !bytes.isEmpty else { return }
        try await core.writeUrgent(id, bytes)
    }

    /// Whether urgent data from the peer is unread, and how many bytes are left to read up to its
    /// end (MUST-33); nil once the connection is given up.
    public func urgentStatus() async -> UrgentStatus? {
        await core.urgentStatus(id)
    }

    /// Suspends until the peer announces urgent data ahead of what has been read (MUST-32), and
    /// returns how much is left to read up to its end; at once if some is pending. nil when none
    /// can come any more (the peer's FIN arrived).
    /// - Throws: `.reset`, `.timedOut`, `.closed`, `.cancelled`.
    public func nextUrgentData() async throws(TCPConnectionError) -> UrgentStatus? {
        try await core.nextUrgent(id)
    }
}
