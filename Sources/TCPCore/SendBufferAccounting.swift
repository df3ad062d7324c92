/// How a send buffer's fill is counted against its size (`TCPConfiguration.sendBufferAccounting`).
public enum SendBufferAccounting: Sendable, Hashable {
    /// Bytes of data only: a write queues as many bytes as the buffer has free (TCPKit's default).
    case bytes
    /// As Linux counts sk_wmem_queued: every buffer (skb) costs its data plus a fixed overhead
    /// (`TCPStack.linuxBufferOverhead`); a write starts a new buffer only while the queue's cost
    /// is below the send buffer's size, so it may overshoot by up to one buffer; the writer is
    /// woken when the free space is at least half the cost queued (sk_stream_is_writeable); an
    /// automatic send buffer is at least 2·max(10, cwnd) MSS-sized buffers (tcp_sndbuf_expand).
    case linuxTruesize
}
