import TCPWire

/// The stack's socket table, as `ss`, `netstat` or `sockstat` list a kernel's: every listener and
/// every connection with a TCB (half-open, unaccepted, orphaned and TIME-WAIT ones included).
/// For tools and tests; it allocates, so it is no part of any per-segment path.
extension TCPStack {
    /// One row of `socketTable()`.
    public struct SocketTableEntry: Sendable, Hashable {
        public var state: TCPState
        /// For a listener bound to every address: its port, with the unspecified address of the
        /// stack's first address family.
        public var local: SocketAddress
        /// nil for a listener.
        public var remote: SocketAddress?
        /// Bytes queued to send (sent but unacknowledged included) and bytes received not yet
        /// read: the `Send-Q` and `Recv-Q` columns (for a listener, its accept queue and backlog).
        public var sendQueue: Int
        public var receiveQueue: Int
        /// The connection's handle (nil for a listener).
        public var connection: ConnectionID?

        public init(state: TCPState, local: SocketAddress, remote: SocketAddress?, sendQueue: Int, receiveQueue: Int,
                    connection: ConnectionID?) {
            self.state = state
            self.local = local
            self.remote = remote
            self.sendQueue = sendQueue
            self.receiveQueue = receiveQueue
            self.connection = connection
        }
    }

    /// Listeners first (in the order they were opened), then connections ordered by local and
    /// remote port.
    public func socketTable() -> [SocketTableEntry] {
        var out: [SocketTableEntry] = []
        for slot in listenerSlots {
            guard let l = slot.listener else { continue }
            let any: IPAddress = l.key.address ?? (addresses.first?.isIPv6 == true ? IPAddress("::")! : IPAddress("0.0.0.0")!)
            out.append(SocketTableEntry(state: .listen, local: SocketAddress(any, l.key.port), remote: nil,
                                        sendQueue: l.backlog, receiveQueue: l.acceptQueue.count, connection: nil))
        }
        var connections: [SocketTableEntry] = []
        for (_, index) in demux {
            let i = Int(index)
            guard let c = slots[i].connection else { continue }
            connections.append(SocketTableEntry(state: c.state, local: c.local, remote: c.remote,
                                                sendQueue: c.sendBuffer.count, receiveQueue: c.receiveBuffer.count,
                                                connection: id(ofSlot: i)))
        }
        connections.sort { ($0.local.port, $0.remote?.port ?? 0) < ($1.local.port, $1.remote?.port ?? 0) }
        return out + connections
    }
}
