/// FreeBSD's rounding of the receive buffer to whole segments (`receiveBufferRoundedToMSS`).
extension TCPStack {
    /// When the handshake completes: a buffer larger than one segment grows to the next multiple
    /// of the send MSS (as FreeBSD's tcp_mss() does with sb_hiwat), so the window it offers holds
    /// whole segments. Once per connection; the ring's storage, if not yet allocated, is allocated
    /// later at the new size.
    mutating func roundReceiveBufferToMSS(_ c: inout Connection) {
        let mss = c.sendMSS
        let size = c.receiveBuffer.capacity
        guard mss > 0, size > mss, size % mss != 0 else { return }
        let target = (size / mss + 1) * mss
        ownReceiveBuffer(&c)
        statistics.bufferBytes += target - c.receiveBuffer.capacity
        c.receiveBuffer.grow(to: target)
    }
}
