extension Connection {
    /// The deadlines of a connection's timers (RFC 9293 §3.8, RFC 6298, RFC 8985), one table
    /// indexed by `TimerKind`. Stored inline, 8 bytes a timer (`off` rather than an optional, which
    /// would cost 8 more in padding each), so the TCB stays small and arming a timer allocates
    /// nothing. The stack keeps one heap entry per connection, for `earliest`.
    ///
    /// Two kinds share an entry with another:
    /// - `.reorder` and `.lossProbe`: RACK's reordering timer (RFC 8985 §6.3) and the tail loss
    ///   probe (§7.2) are one loss timer, never both armed; the scoreboard's `lossTimer` says which.
    /// - `.userTimeout` names the retransmission timer: the user timeout (RFC 9293 §3.8.3) has no
    ///   deadline of its own; `clampToUserTimeout` keeps the retransmission timer from running
    ///   past it, and the expiry checks for it when that timer fires.
    struct Timers {
        /// A timer that is off: due never.
        private static let off = Instant(nanoseconds: .max)

        private var retransmit = off
        private var persist = off
        private var timeWait = off
        private var finWait2 = off
        private var delayedACK = off
        private var keepAlive = off
        private var loss = off

        /// The order in which timers due at the same `now` run (`TCPStack.fireTimers`): the
        /// TIME-WAIT and FIN-WAIT-2 timers first (each ends the connection), then the delayed ACK,
        /// the retransmission timer, the loss timer (RACK or TLP), the persist timer, keep-alive.
        /// (The loss entry is named by `.lossProbe` here.)
        static let firingOrder: [TimerKind] = [.timeWait, .finWait2, .delayedACK, .retransmit, .lossProbe, .persist, .keepAlive]

        private subscript(entry kind: TimerKind) -> Instant {
            get {
                switch kind {
                case .retransmit, .userTimeout: retransmit
                case .persist: persist
                case .timeWait: timeWait
                case .finWait2: finWait2
                case .delayedACK: delayedACK
                case .keepAlive: keepAlive
                case .reorder, .lossProbe: loss
                }
            }
            set {
                switch kind {
                case .retransmit, .userTimeout: retransmit = newValue
                case .persist: persist = newValue
                case .timeWait: timeWait = newValue
                case .finWait2: finWait2 = newValue
                case .delayedACK: delayedACK = newValue
                case .keepAlive: keepAlive = newValue
                case .reorder, .lossProbe: loss = newValue
                }
            }
        }

        /// The deadline of a timer, nil when it is off; setting nil turns it off.
        subscript(kind: TimerKind) -> Instant? {
            get {
                let t = self[entry: kind]
                return t == Self.off ? nil : t
            }
            set { self[entry: kind] = newValue ?? Self.off }
        }

        /// The earliest armed deadline, nil when every timer is off.
        var earliest: Instant? {
            let t = min(min(min(retransmit, persist), min(timeWait, finWait2)), min(loss, min(delayedACK, keepAlive)))
            return t == Self.off ? nil : t
        }

        /// True when the timer is armed and due at `now`; it is then off (a handler re-arms it).
        mutating func expire(_ kind: TimerKind, at now: Instant) -> Bool {
            let t = self[entry: kind]
            guard t != Self.off, t <= now else { return false }
            self[entry: kind] = Self.off
            return true
        }

        /// Turns every timer off.
        mutating func cancelAll() { self = Timers() }
    }
}
