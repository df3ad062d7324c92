import Testing
@testable import TCPCore

@Suite("Connection.Timers: one table of deadlines")
struct ConnectionTimersTests {
    @Test("off by default; earliest is the smallest armed deadline; cancelAll turns every one off")
    func earliest() {
        var t = Connection.Timers()
        #expect(t.earliest == nil)
        for kind in TimerKind.allCases { #expect(t[kind] == nil, "\(kind)") }
        t[.keepAlive] = .seconds(9)
        t[.persist] = .seconds(3)
        t[.delayedACK] = .seconds(5)
        #expect(t.earliest == .seconds(3))
        t[.persist] = nil
        #expect(t.earliest == .seconds(5))
        t.cancelAll()
        #expect(t.earliest == nil && t[.keepAlive] == nil)
    }

    @Test("expire: true once for an armed timer due at now, which it turns off; false before its time")
    func expire() {
        var t = Connection.Timers()
        let unarmed = t.expire(.retransmit, at: .seconds(100))
        #expect(!unarmed, "an unarmed timer never expires")
        t[.retransmit] = .seconds(2)
        let early = t.expire(.retransmit, at: .seconds(1.999))
        #expect(!early && t[.retransmit] == .seconds(2))
        let due = t.expire(.retransmit, at: .seconds(2))
        #expect(due && t[.retransmit] == nil)
        let again = t.expire(.retransmit, at: .seconds(3))
        #expect(!again)
    }

    @Test("the loss timer is one entry for RACK's reorder timer and the TLP; the user timeout is the retransmission timer's")
    func sharedEntries() {
        var t = Connection.Timers()
        t[.reorder] = .seconds(1)
        #expect(t[.lossProbe] == .seconds(1))
        t[.lossProbe] = nil
        #expect(t[.reorder] == nil)
        t[.retransmit] = .seconds(4)
        #expect(t[.userTimeout] == .seconds(4))
        // The seven other kinds are separate entries.
        let separate: [TimerKind] = [.retransmit, .persist, .timeWait, .finWait2, .delayedACK, .keepAlive, .lossProbe]
        for (n, kind) in separate.enumerated() { t[kind] = .seconds(Double(10 + n)) }
        for (n, kind) in separate.enumerated() { #expect(t[kind] == .seconds(Double(10 + n)), "\(kind)") }
        #expect(Set(Connection.Timers.firingOrder) == Set(separate) && Connection.Timers.firingOrder.count == 7)
    }

    @Test("stored inline: seven 8-byte deadlines")
    func inline() {
        #expect(MemoryLayout<Connection.Timers>.size == 7 * MemoryLayout<Instant>.size)
    }

    /// Timers due at the same instant run in one order: delayed ACK, retransmission, persist.
    @Test("timers due at the same instant fire in the fixed order")
    func firingOrderAtOneInstant() {
        var h = Harness.established()
        while h.stack.pollTrace() != nil {}
        let i = Int(h.conn.index)
        var c = h.stack.slots[i].connection!
        let t = h.now + .seconds(1)
        c.timers[.persist] = t
        c.timers[.retransmit] = t
        c.timers[.delayedACK] = t
        h.stack.fireTimers(&c, h.conn, t)
        var fired: [TimerKind] = []
        while let r = h.stack.pollTrace() { if case .timer(let k) = r.kind { fired.append(k) } }
        #expect(fired == [.delayedACK, .retransmit, .persist])
        #expect(c.timers.earliest == nil || c.timers.earliest! > t, "each ran once and is off or re-armed later")
    }

    @Test("the TIME-WAIT timer ends the connection: nothing due with it runs after")
    func timeWaitEndsTheRun() {
        var h = Harness.established()
        while h.stack.pollTrace() != nil {}
        let i = Int(h.conn.index)
        var c = h.stack.slots[i].connection!
        let t = h.now + .seconds(1)
        c.timers[.timeWait] = t
        c.timers[.delayedACK] = t
        c.timers[.persist] = t
        h.stack.fireTimers(&c, h.conn, t)
        var fired: [TimerKind] = []
        while let r = h.stack.pollTrace() { if case .timer(let k) = r.kind { fired.append(k) } }
        #expect(fired == [.timeWait])
        #expect(c.state == .closed && c.timers.earliest == nil)
    }
}
