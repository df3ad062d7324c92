import TCPWire

/// Linux's accounting of send-buffer memory (`SendBufferAccounting.linuxTruesize`): data is
/// queued in buffers of the size goal (TCPStack+NotSentLowat.swift), each costing its bytes plus
/// the skb's own memory. RFC 9293 leaves the send buffer's policy to the implementation; this
/// reproduces the byte counts Linux's write() returns and when it reports room again.
extension TCPStack {
    /// The memory a buffer costs beyond its data (an fclone skb with its header room and
    /// shared info, as Linux's truesize counts it).
    static let linuxBufferOverhead = 1_280
    /// Linux's SOCK_MIN_SNDBUF: 2 · (2048 + the aligned sk_buff), the least SO_SNDBUF keeps.
    public static let linuxMinimumSendBuffer = 4_608

    /// The truesize of one MSS-sized buffer without TSO: the data, the largest TCP header and
    /// the shared info rounded up to a power of two, plus the sk_buff (tcp_sndbuf_expand).
    func linuxPerSegmentMemory(_ c: Connection) -> Int {
        let head = max(1, c.sendMSS) + 320 + 320
        var p = 1
        while p < head { p <<= 1 }
        return p + 256
    }

    /// The send buffer's size as Linux's sk_sndbuf: the connection's SO_SNDBUF when set (locked),
    /// else the configured size, grown when the connection starts to 2·10 segment buffers
    /// (tcp_init_buffer_space) and later as `linuxExpandSendBuffer` grew it, at most the maximum.
    func linuxSendBufferSize(_ c: Connection) -> Int {
        if c.sendBufferSize != 0 { return Int(c.sendBufferSize) }
        let base = configuration.sendBuffer.initial
        guard configuration.sendBuffer.isAutoTuned else { return base }
        let initial = min(2 * 10 * linuxPerSegmentMemory(c), configuration.sendBufferLimit)
        return max(base, initial, c.sendBuffer.expandedSize)
    }

    /// tcp_new_space's tcp_sndbuf_expand: an ACK freed room for a writer that found the buffer
    /// full; unless the window is filled (what is in flight once the unsent data has gone as far
    /// as the windows allow reaches cwnd), the buffer grows to 2·max(10, cwnd) segment buffers.
    func linuxExpandSendBuffer(_ c: Connection) {
        guard c.sendBufferSize == 0, configuration.sendBuffer.isAutoTuned, !c.sendBuffer.placeholder else { return }
        let inFlight = Int(c.sndNxt - c.sndUna) + min(c.unsentBytes, sendRoom(c))
        guard inFlight < c.cwnd else { return }
        let segments = max(10, c.cwnd / max(1, c.sendMSS))
        let size = min(2 * segments * linuxPerSegmentMemory(c), configuration.sendBufferLimit)
        if size > c.sendBuffer.expandedSize { c.sendBuffer.expandedSize = size }
    }

    /// How many buffers hold `bytes` at the size goal.
    private func buffers(_ bytes: Int, goal: Int) -> Int { (bytes + goal - 1) / goal }

    /// sk_wmem_queued: the data queued plus each buffer's overhead.
    func linuxQueuedMemory(_ c: Connection) -> Int {
        let goal = sendBufferGoal(c)
        let unsent = c.unsentBytes
        let sent = c.sendBuffer.count - unsent
        return c.sendBuffer.count + (buffers(sent, goal: goal) + buffers(unsent, goal: goal)) * Self.linuxBufferOverhead
    }

    /// sk_stream_is_writeable: free space at least half the memory queued, and (TCP_NOTSENT_LOWAT)
    /// fewer unsent bytes than the limit.
    func linuxAcceptsWrites(_ c: Connection) -> Bool {
        let queued = linuxQueuedMemory(c)
        if let limit = notSentLimit(c), c.unsentBytes >= limit { return false }
        return linuxSendBufferSize(c) - queued >= queued / 2
    }

    /// How many of `want` bytes a write queues under Linux's accounting: buffers of the size goal
    /// while the memory queued is below sk_sndbuf (TCPStack+NotSentLowat.swift's loop).
    func linuxWriteAllowance(_ c: Connection, want: Int) -> Int {
        bufferedWriteAllowance(c, want: want, limit: notSentLimit(c) ?? .max, memory: linuxSendBufferSize(c))
    }

    /// Makes room in the ring for `n` more bytes: under Linux's accounting the data may exceed
    /// the send buffer's size (that counts memory, not bytes).
    mutating func makeRingRoom(_ ring: ByteRing, for n: Int) {
        let need = ring.count + n
        if need > ring.capacity {
            statistics.bufferBytes += need - ring.capacity
            ring.grow(to: need)
        }
        if need > ring.limit { ring.limit = need }
    }

    /// An ACK freed room in a buffer the writer had filled: `.writable` once it may write again
    /// (any free byte under `.bytes`, sk_stream_is_writeable under `.linuxTruesize`).
    mutating func wakeWriter(_ c: inout Connection, _ id: ConnectionID, _ now: Instant) {
        let linux = configuration.sendBufferAccounting == .linuxTruesize
        if linux { linuxExpandSendBuffer(c) }
        let room = linux ? linuxAcceptsWrites(c) : c.sendBuffer.free > 0
        guard room else { return }
        c.sendBufferWasFull = false
        if c.userOwned && !c.userClosed { emit(.writable(id), now) }
    }

    /// Whether a write would queue bytes now, under Linux's accounting; nil under `.bytes`.
    public func sendBufferAcceptsWrites(_ id: ConnectionID) -> Bool? {
        guard configuration.sendBufferAccounting == .linuxTruesize,
              let i = connectionIndex(id), let c = slots[i].connection else { return nil }
        return linuxAcceptsWrites(c)
    }
}
