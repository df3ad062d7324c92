/// What a stack still holds, for leak checks (the simulator's sweep checks that nothing is left
/// once every connection is over). Read-only: looking changes nothing.
public struct StackResources: Sendable, Hashable, CustomStringConvertible {
    /// Connections the demultiplexer knows (a TCB in any state but CLOSED).
    public var connections = 0
    /// Connection slots in use, including CLOSED connections kept only because the application
    /// still holds the handle; each holds the connection's send and receive buffers.
    public var handles = 0
    /// Connections with a timer armed (retransmission, persist, TIME-WAIT, delayed ACK...).
    public var armedTimers = 0
    /// Listeners open.
    public var listeners = 0
    /// Accepted-but-not-yet-taken connections in the listeners' queues.
    public var acceptQueued = 0
    /// Segments waiting to be sent (connections queued for output and RST replies).
    public var queuedOutput = 0
    /// Events the application has not polled.
    public var pendingEvents = 0

    public init() {}

    /// Nothing that belongs to a connection is left (listeners may stay open).
    public var noConnectionState: Bool {
        connections == 0 && handles == 0 && armedTimers == 0 && acceptQueued == 0 && queuedOutput == 0 && pendingEvents == 0
    }

    public var description: String {
        "\(connections) connections, \(handles) handles, \(armedTimers) armed timers, \(listeners) listeners, "
            + "\(acceptQueued) queued for accept, \(queuedOutput) segments queued, \(pendingEvents) events pending"
    }
}

extension TCPStack {
    /// What the stack holds now (see `StackResources`).
    public var resources: StackResources {
        var r = StackResources()
        r.connections = demux.count
        for slot in slots {
            guard let c = slot.connection else { continue }
            r.handles += 1
            if c.timers.earliest != nil { r.armedTimers += 1 }
        }
        for l in listenerSlots {
            guard let listener = l.listener else { continue }
            r.listeners += 1
            r.acceptQueued += listener.acceptQueue.count
        }
        r.queuedOutput = outputQueue.count + controlQueue.count
        r.pendingEvents = events.count
        return r
    }
}
