/// MSG_ZEROCOPY's page fragments: Linux pins each iovec element of a zero-copy sendmsg as a page
/// fragment of its own, at most MAX_SKB_FRAGS (17) to an skb; a full skb is marked PSH
/// (`tcp_mark_push`) and later data goes to a new one, which is never merged with it. The runner
/// gives the engine that boundary as a record end (MSG_EOR, `SendFlags.endOfRecord`): the
/// sendmsg queues its data in records of at most 17 non-empty elements, the last with the call's
/// own flags. It stays one zero-copy send (one notification range) for the error queue.
extension Run {
    /// Linux's MAX_SKB_FRAGS with 4 KiB pages.
    static let maxSkbFrags = 17

    /// The sendmsg as several records, or nil when it is an ordinary one (no MSG_ZEROCOPY, the
    /// socket without SO_ZEROCOPY, or at most 17 elements). Returns the bytes queued in all; a
    /// record the buffer takes only in part ends the call there (what was queued so far counts).
    func zeroCopyFragmentRecords(_ call: Call, _ m: MessageHeader, flags: Int64) throws(Stop) -> Attempt? {
        guard flags & Run.msgZeroCopy != 0, let fd = try? integer(call, 0), let s = fds[fd], s.errorQueue.zeroCopy
        else { return nil }
        let elements = m.lengths.filter { $0 > 0 }
        guard elements.count > Run.maxSkbFrags else { return nil }
        var sent: Int64 = 0
        var start = 0
        while start < elements.count {
            let end = min(start + Run.maxSkbFrags, elements.count)
            let count = elements[start..<end].reduce(0, +)
            let last = end == elements.count
            var inner = call
            inner.progress = 0
            let a = try asCall(&inner, "send", count: count, flags: last ? flags : flags | 0x80) {   // MSG_EOR
                (c: inout Call) throws(Stop) -> Attempt in try writeCall(&c)
            }
            switch a {
            case .done(.value(let n)):
                sent += n
                if n < count || last { return .done(.value(sent)) }
            default:
                return sent > 0 ? .done(.value(sent)) : a
            }
            start = end
        }
        return .done(.value(sent))
    }
}
