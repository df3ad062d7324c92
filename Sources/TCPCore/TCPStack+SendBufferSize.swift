/// A send buffer whose size a connection sets for itself (`ConnectionOptions.sendBufferSize`,
/// SO_SNDBUF): the ring is made at that size on the first byte; set later, a larger size grows the
/// ring at once and a smaller one caps what may be queued (`ByteRing.limit`: rings never shrink,
/// bytes once queued stay). Auto-tuning leaves such a buffer alone.
extension TCPStack {
    /// Applies the connection's `sendBufferSize` to a ring it already owns.
    mutating func resizeSendBuffer(_ c: UnsafeMutablePointer<Connection>, _ id: ConnectionID, _ now: Instant) {
        let ring = c.pointee.sendBuffer
        guard !ring.placeholder else { return }
        let size = Int(c.pointee.sendBufferSize)
        guard size != 0 else {
            ring.limit = .max
            return
        }
        if size > ring.capacity {
            statistics.bufferBytes += size - ring.capacity
            ring.grow(to: size)
        }
        ring.limit = size
        // Room the application waited for (a larger buffer): tell it, as an ACK freeing room would.
        if c.pointee.sendBufferWasFull && ring.free > 0 {
            c.pointee.sendBufferWasFull = false
            if c.pointee.userOwned && !c.pointee.userClosed { emit(.writable(id), now) }
        }
    }
}

extension Connection {
    /// The send buffer's size as the application sees it (SO_SNDBUF): the per-connection size
    /// when one is set, else the ring's.
    var sendBufferBytes: Int {
        if sendBufferSize != 0 { return Int(sendBufferSize) }
        return sendBuffer.capacity
    }
}
