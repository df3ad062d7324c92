import TCPWire

/// A byte ring. Storage is allocated on the first write and kept for the connection's life, so
/// the steady state allocates nothing. A connection starts with its stack's shared empty rings
/// (`TCPStack.EmptyRings`, `placeholder`) and gets rings of its own on its first byte, so an idle
/// connection that never carried data allocates nothing at all. Buffer auto-tuning may `grow`
/// a ring (one allocation and copy per step, at most once per round trip: `BufferTuning`).
final class ByteRing {
    private(set) var capacity: Int
    /// A shared stand-in that always stays empty (it may be read, never written).
    let placeholder: Bool
    /// Auto-tuning's bookkeeping for the connection that owns this ring (unused on placeholders:
    /// kept here rather than in the TCB, so that an idle connection pays nothing for it).
    var tuning = BufferTuning()
    /// On a send ring: where records the application ended (MSG_EOR) end, as sequence numbers,
    /// in order (`TCPStack+Records.swift`); empty unless it used them.
    var recordEnds: [SequenceNumber] = []
    /// On a send ring under TCP_NOTSENT_LOWAT: where the buffer at the queue's tail starts
    /// (`TCPStack+NotSentLowat.swift`).
    var bufferStart = SequenceNumber(0)
    /// On a send ring under Linux's accounting: the send buffer's size as grown with cwnd
    /// (tcp_sndbuf_expand; `TCPStack+SendBufferAccounting.swift`); 0 until it grows.
    var expandedSize = 0
    private var storage: UnsafeMutableRawPointer?
    private var head = 0          // offset of the first byte
    private(set) var count = 0

    init(capacity: Int, placeholder: Bool = false) {
        self.capacity = max(capacity, 1)
        self.placeholder = placeholder
    }
    deinit { storage?.deallocate() }

    /// The most bytes the ring may hold when less than its capacity (a send buffer whose size a
    /// socket option set below the ring's size: rings never shrink). `Int.max`: the capacity.
    var limit = Int.max
    var free: Int { max(0, min(capacity, limit) - count) }
    var isEmpty: Bool { count == 0 }

    private func ensureStorage() -> UnsafeMutableRawPointer {
        if let storage { return storage }
        precondition(!placeholder, "ByteRing: a shared empty ring was written to")
        let s = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
        storage = s
        return s
    }

    /// Appends as much of `bytes` as fits; returns how many bytes were taken.
    @discardableResult
    func append(_ bytes: UnsafeRawBufferPointer) -> Int {
        let n = min(bytes.count, free)
        guard n > 0, let src = bytes.baseAddress else { return 0 }
        let s = ensureStorage()
        let tail = (head + count) % capacity
        let first = min(n, capacity - tail)
        (s + tail).copyMemory(from: src, byteCount: first)
        if n > first { s.copyMemory(from: src + first, byteCount: n - first) }
        count += n
        return n
    }

    /// Appends bytes that `fill` writes straight into the free space, so that a producer that is
    /// not one contiguous buffer (a sequence) is copied once. `fill` is offered the free space
    /// after the stored bytes (up to the end of the storage), then, only if it filled that
    /// completely, the free space that wraps around to the start; it returns how many bytes it
    /// wrote at the start of the region it was given (fewer than offered: it has no more).
    /// Returns how many bytes were appended.
    @discardableResult
    func append(filling fill: (UnsafeMutableRawBufferPointer) -> Int) -> Int {
        var total = 0
        while free > 0 {
            let s = ensureStorage()
            let tail = (head + count) % capacity
            let room = min(free, capacity - tail)
            let n = fill(UnsafeMutableRawBufferPointer(start: s + tail, count: room))
            precondition(n >= 0 && n <= room, "ByteRing.append(filling:): fill wrote outside its region")
            count += n
            total += n
            if n < room { break }
        }
        return total
    }

    /// Writes bytes into the free space `offset` bytes past the end of the stored ones, without
    /// counting them yet (out-of-order data waiting for a gap to fill). Needs
    /// `offset + bytes.count <= free`.
    func write(at offset: Int, _ bytes: UnsafeRawBufferPointer) {
        precondition(offset >= 0 && offset + bytes.count <= free, "ByteRing.write out of range")
        guard bytes.count > 0, let src = bytes.baseAddress else { return }
        let s = ensureStorage()
        let start = (head + count + offset) % capacity
        let first = min(bytes.count, capacity - start)
        (s + start).copyMemory(from: src, byteCount: first)
        if bytes.count > first { s.copyMemory(from: src + first, byteCount: bytes.count - first) }
    }

    /// Counts `n` more bytes as stored: those `write(at:)` put right after the stored ones.
    func commit(_ n: Int) {
        precondition(n >= 0 && n <= free, "ByteRing.commit out of range")
        count += n
    }

    /// Copies `out.count` bytes starting `offset` bytes past the head, without consuming them.
    func copy(from offset: Int, into out: UnsafeMutableRawBufferPointer) {
        precondition(offset >= 0 && offset + out.count <= count, "ByteRing.copy out of range")
        guard out.count > 0, let s = storage, let dst = out.baseAddress else { return }
        let start = (head + offset) % capacity
        let first = min(out.count, capacity - start)
        dst.copyMemory(from: s + start, byteCount: first)
        if out.count > first { (dst + first).copyMemory(from: s, byteCount: out.count - first) }
    }

    /// `copy(from:into:)` that also adds the bytes to `sum` in the same pass when it is not nil
    /// (`InternetChecksum.addCopying`: a payload read once on its way into a packet).
    func copy(from offset: Int, into out: UnsafeMutableRawBufferPointer, summing sum: inout InternetChecksum?) {
        guard sum != nil else { return copy(from: offset, into: out) }
        precondition(offset >= 0 && offset + out.count <= count, "ByteRing.copy out of range")
        guard out.count > 0, let s = storage, let dst = out.baseAddress else { return }
        let start = (head + offset) % capacity
        let first = min(out.count, capacity - start)
        sum?.addCopying(from: s + start, to: dst, count: first)
        if out.count > first { sum?.addCopying(from: s, to: dst + first, count: out.count - first) }
    }

    /// Removes up to `n` bytes from the head.
    func discard(_ n: Int) {
        let k = min(max(n, 0), count)
        head = (head + k) % capacity
        count -= k
        // The head is not reset when the ring empties: out-of-order bytes may be waiting just
        // past the end (`write(at:)`), at positions relative to head + count.
    }

    /// Moves up to `out.count` bytes from the head into `out`; returns how many.
    func read(into out: UnsafeMutableRawBufferPointer) -> Int {
        let n = min(out.count, count)
        copy(from: 0, into: UnsafeMutableRawBufferPointer(rebasing: out[0..<n]))
        discard(n)
        return n
    }

    /// Enlarges the ring to `newCapacity` bytes, keeping every byte at its offset from the head:
    /// the stored ones and any out-of-order bytes `write(at:)` put in the free space past them.
    /// Never shrinks. Storage not yet allocated is allocated later at the new size.
    func grow(to newCapacity: Int) {
        precondition(!placeholder, "ByteRing: a shared empty ring was grown")
        guard newCapacity > capacity else { return }
        if let old = storage {
            let s = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 16)
            // The whole old ring, unrolled from the head (the free part may hold reassembly data).
            let first = capacity - head
            s.copyMemory(from: old + head, byteCount: first)
            if head > 0 { (s + first).copyMemory(from: old, byteCount: head) }
            old.deallocate()
            storage = s
        }
        head = 0
        capacity = newCapacity
    }

    /// Drops all bytes (RFC 9293 §3.10.7.4: "all segment queues should be flushed").
    func removeAll() { head = 0; count = 0 }
}
