import TCPCore

/// Turns what a driver sees into `Timeline` entries: the engine's trace records (state changes,
/// segments, drops, timers, statistics) and the packets on the driver's wire, with their fate.
/// The one mapping the simulator, the script runner and the TUN session share; each says where
/// its segments come from (`Segments`).
public struct TimelineRecorder: Sendable {
    /// Where the segments drawn come from.
    public enum Segments: Sendable, Hashable {
        /// From the driver's wire, where their fate is known (the simulator). A sent segment's
        /// record waits for the driver (`takeSentSegment()`), which draws it with
        /// `send(_:from:at:fate:packet:)` once the link has decided what becomes of it; a received
        /// one is drawn as the arrival of the packet being handled (`arrival`).
        case wire
        /// No wire between the hosts (the script runner): a sent segment arrives the instant it
        /// is sent; received ones are not drawn, the driver draws the peer's packets as it makes
        /// them (`send(_:from:at:fate:packet:)`).
        case instant
        /// A real network (the TUN session): a sent segment's arrival is unknown (in flight); a
        /// received one is drawn as `peer`'s, landing when it was received.
        case live(peer: String)
    }

    /// What has been recorded so far.
    public var timeline: Timeline
    public let segments: Segments
    /// Draw a half-open connection that came from a listener and dies in SYN-RECEIVED (reset, or
    /// out of SYN-ACK retries) going back to LISTEN, as RFC 9293 §3.10.7.4 puts it ("return this
    /// connection to LISTEN state"): the engine deletes the connection and its listener goes on
    /// listening, so the host is in LISTEN again.
    public let returnsToListen: Bool
    /// The highest packet number given or drawn so far.
    public private(set) var packetCount = 0
    /// Connections each host opened from a listener (they left LISTEN).
    private var passive: [String: Set<ConnectionID>] = [:]
    /// With `.wire`: the segment of the last send record, until the driver takes it.
    private var sentSegment: SegmentSummary?

    public init(timeline: Timeline, segments: Segments, returnsToListen: Bool = false) {
        self.timeline = timeline
        self.segments = segments
        self.returnsToListen = returnsToListen
    }

    /// The entry one trace record of `host`'s stack draws (nil: none; events are not drawn).
    ///
    /// `arrival` is the number of the packet the stack is handling, when the record comes from
    /// handling one (`.wire`): a receive record is that packet's arrival, and a timer record is a
    /// timer the segment restarted (a retransmitted FIN restarts TIME-WAIT), not one that fired,
    /// so it is drawn as a note.
    public mutating func entry(for r: TraceRecord, host: String, arrival: Int? = nil) -> Timeline.Entry? {
        let kind: Timeline.Kind
        var drawnHost = host
        switch r.kind {
        case let .state(from, to):
            kind = .state(from: from, to: shownState(from: from, to: to, host: host, connection: r.connection))
        case let .send(s):
            switch segments {
            case .wire:
                sentSegment = s
                return nil
            case .instant:
                kind = .send(packet: nextPacket(), s, fate: .delivered(at: r.time))
            case .live:
                kind = .send(packet: nextPacket(), s, fate: .inFlight)
            }
        case let .receive(s):
            switch segments {
            case .wire:
                guard let arrival else { return nil }
                kind = .receive(packet: arrival, s)
            case .instant:
                return nil
            case .live(let peer):
                drawnHost = peer
                kind = .send(packet: nextPacket(), s, fate: .delivered(at: r.time))
            }
        case let .drop(reason, s): kind = .drop(reason, s)
        case let .timer(t): kind = arrival != nil ? .note("\(t.rawValue) timer restarted") : .timer(t)
        case let .info(info): kind = .info(info, connection: r.connection)
        case .event: return nil
        }
        return Timeline.Entry(time: r.time, host: drawnHost, kind: kind)
    }

    /// Appends what one trace record draws (see `entry(for:host:arrival:)`).
    public mutating func record(_ r: TraceRecord, host: String, arrival: Int? = nil) {
        if let e = entry(for: r, host: host, arrival: arrival) { timeline.append(e) }
    }

    /// With `.wire`: the segment of the send record just read (the packet the stack emitted),
    /// once; nil when there was none.
    public mutating func takeSentSegment() -> SegmentSummary? {
        defer { sentSegment = nil }
        return sentSegment
    }

    /// Draws a packet `host` put on the wire and what became of it. `packet`: its number (nil:
    /// the next one); `networkCopy`: a copy the network made, not a retransmission. Returns the
    /// packet's number.
    @discardableResult
    public mutating func send(_ s: SegmentSummary, from host: String, at time: Instant, fate: Timeline.Fate,
                              packet: Int? = nil, networkCopy: Bool = false) -> Int {
        let id: Int
        if let packet {
            id = packet
            packetCount = max(packetCount, packet)
        } else {
            id = nextPacket()
        }
        if networkCopy { timeline.networkCopies.insert(id) }
        timeline.append(Timeline.Entry(time: time, host: host, kind: .send(packet: id, s, fate: fate)))
        return id
    }

    /// Changes the fate of packet `id` (its latest send entry): a held copy released, say.
    public mutating func setFate(_ fate: Timeline.Fate, ofPacket id: Int) {
        guard let k = timeline.entries.lastIndex(where: { if case .send(id, _, _) = $0.kind { true } else { false } }),
              case let .send(_, s, _) = timeline.entries[k].kind else { return }
        timeline.entries[k].kind = .send(packet: id, s, fate: fate)
    }

    /// Marks the packets still on the wire when the run ended (drawn as delivered so far) as in
    /// flight.
    public mutating func markInFlight(_ ids: Set<Int>) {
        guard !ids.isEmpty else { return }
        for k in timeline.entries.indices {
            if case let .send(id, s, .delivered) = timeline.entries[k].kind, ids.contains(id) {
                timeline.entries[k].kind = .send(packet: id, s, fate: .inFlight)
            }
        }
    }

    /// Adds a note to `host`'s side.
    public mutating func note(_ text: String, host: String, at time: Instant) {
        timeline.append(Timeline.Entry(time: time, host: host, kind: .note(text)))
    }

    private mutating func nextPacket() -> Int {
        packetCount += 1
        return packetCount
    }

    private mutating func shownState(from: TCPState, to: TCPState, host: String, connection: ConnectionID?) -> TCPState {
        guard returnsToListen, let c = connection else { return to }
        if from == .listen { passive[host, default: []].insert(c) }
        if from == .synReceived, to == .closed, passive[host]?.contains(c) == true { return .listen }
        return to
    }
}
