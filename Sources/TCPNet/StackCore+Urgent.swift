import TCPCore

/// Urgent data (RFC 9293 §3.8.5) for `TCPConnection` (TCPConnection+Urgent.swift).
extension StackCore {
    func urgentStatus(_ id: ConnectionID) -> UrgentStatus? {
        entries[id] == nil ? nil : stack.urgentStatus(of: id)
    }

    /// `write` with every byte urgent: suspends while the send buffer is full; each part queued
    /// moves SND.UP to its end.
    func writeUrgent(_ id: ConnectionID, _ bytes: [UInt8]) async throws(TCPConnectionError) {
        var offset = 0
        while true {
            let now = now()
            let start = offset
            let result: Result<Int, TCPError> = bytes.withUnsafeBytes { all in
                Result { () throws(TCPError) -> Int in
                    try stack.send(id, UnsafeRawBufferPointer(rebasing: all[start...]), urgent: true, now: now)
                }
            }
            afterWork(now)
            switch result {
            case .success(let n): offset += n
            case .failure(let e): throw TCPConnectionError(e)
            }
            if offset == bytes.count { return }
            let epoch = wakeEpoch
            if Task.isCancelled { throw .cancelled }
            await wait(id, .write, epoch: epoch)
        }
    }

    /// Suspends until the peer's urgent pointer is ahead of the data read (the engine's
    /// `.urgentData` event wakes readers), and returns the status then; nil once no urgent data
    /// can come any more (the peer's FIN has arrived, or the connection is gone).
    func nextUrgent(_ id: ConnectionID) async throws(TCPConnectionError) -> UrgentStatus? {
        while true {
            guard entries[id] != nil, let info = stack.info(of: id) else { throw .closed }
            if let s = stack.urgentStatus(of: id), s.pending { return s }
            if let e = info.error { throw TCPConnectionError(e) }
            switch info.state {
            case .established, .finWait1, .finWait2, .synSent, .synReceived: break
            default: return nil   // past the peer's FIN: no more urgent pointers (§3.10.7.4 sixth)
            }
            let epoch = wakeEpoch
            if Task.isCancelled { throw .cancelled }
            await wait(id, .read, epoch: epoch)
        }
    }
}
