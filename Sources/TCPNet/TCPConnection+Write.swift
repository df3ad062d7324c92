import NIOCore
import TCPCore

/// Writes up to `region.count` bytes at the start of `region` (free space in the engine's send
/// buffer) and returns how many, and whether more bytes follow. After writing fewer than offered
/// it must say that none follow. Called on the stack's event loop, never with an empty region.
@usableFromInline
typealias ByteProducer = (UnsafeMutableRawBufferPointer) -> (count: Int, more: Bool)

extension TCPConnection {
    /// Queues every byte of `bytes` for sending, in order, suspending while the send buffer is
    /// full; returns once the last byte is in the send buffer (not when the peer acknowledged it).
    ///
    /// Takes any sequence of bytes: `ArraySlice<UInt8>`, `"text".utf8`, `Data`, NIO's
    /// `ByteBufferView`, a lazy `map`... Each byte is copied once, straight into the engine's
    /// send buffer: from the collection's own storage when it has contiguous storage
    /// (`withContiguousStorageIfAvailable`), otherwise element by element from its iterator.
    /// The copying happens on the stack's event loop thread, so a lazy sequence's closures run
    /// there (all but the first element's, read ahead in the calling task): keep them cheap. An
    /// empty sequence returns at once.
    ///
    /// - Throws: `.closed` after `shutdown(.write)`/`close()`, `.reset`, `.timedOut`, `.cancelled`
    ///   (some bytes may have been queued).
    @inlinable
    public func write<Bytes: Sequence<UInt8>>(_ bytes: sending Bytes) async throws(TCPConnectionError)
    where Bytes: SendableMetatype, Bytes.Iterator: SendableMetatype {
        if let count = bytes.withContiguousStorageIfAvailable({ $0.count }) {
            guard count > 0 else { return }
            var offset = 0
            try await write(producing: { region in
                let n = bytes.withContiguousStorageIfAvailable { storage in
                    let n = Swift.min(region.count, count - offset)
                    region.copyMemory(from: UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: storage[offset..<(offset + n)])))
                    return n
                }
                // A conformance that offered its storage once must keep offering it (the
                // sequence is ours alone since `sending`, so nothing can have changed it).
                guard let n else { preconditionFailure("TCPConnection.write: the sequence's contiguous storage went away") }
                offset += n
                return (n, offset < count)
            })
        } else {
            var iterator = bytes.makeIterator()
            // One byte read ahead, so that filling the buffer exactly tells whether more follow.
            guard let first = iterator.next() else { return }
            var pending: UInt8? = first
            try await write(producing: { region in
                guard let head = pending else { return (0, false) }
                region[0] = head
                var n = 1
                while n < region.count, let b = iterator.next() {
                    region[n] = b
                    n += 1
                }
                pending = n < region.count ? nil : iterator.next()
                return (n, pending != nil)
            })
        }
    }

    /// Queues the readable bytes of `buffer` (its `readableBytesView`; `buffer` itself is a value
    /// and is not consumed), like `write(_:)` for sequences: one copy into the send buffer,
    /// suspending while it is full.
    /// - Throws: as `write(_:)`.
    public func write(_ buffer: ByteBuffer) async throws(TCPConnectionError) {
        let count = buffer.readableBytes
        guard count > 0 else { return }
        var offset = 0
        try await write(producing: { region in
            let n = Swift.min(region.count, count - offset)
            buffer.withUnsafeReadableBytes { readable in
                region.copyMemory(from: UnsafeRawBufferPointer(rebasing: readable[offset..<(offset + n)]))
            }
            offset += n
            return (n, offset < count)
        })
    }

    /// The common path of the overloads: `produce` fills the engine's send buffer on the loop.
    @usableFromInline
    func write(producing produce: sending @escaping ByteProducer) async throws(TCPConnectionError) {
        let core = self.core, id = self.id
        guard core.loop.inEventLoop else { return try await core.write(id, producing: produce) }
        // On the stack's thread (see `read`): no hop, no suspension while the bytes fit. The
        // producer is only ever called there, by one call at a time.
        let producer = LoopBound(produce)
        var more = true
        while core.loop.inEventLoop {
            let attempt = try core.onLoop { c in
                Result { () throws(TCPConnectionError) in try c.tryWrite(id, producer.value, more: &more) }
            }.get()
            guard case .wouldBlock(let epoch) = attempt else { return }
            if Task.isCancelled { throw .cancelled }
            await core.waitOnLoop(id, .write, epoch: epoch)
        }
        // Resumed elsewhere (not expected of a task that prefers the loop): the rest hops.
        let rest = more
        try await core.write(id, producing: { region in rest ? producer.value(region) : (0, false) })
    }
}

/// A value used only on the stack's event loop, one call at a time, whatever task holds it.
@usableFromInline
struct LoopBound<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
