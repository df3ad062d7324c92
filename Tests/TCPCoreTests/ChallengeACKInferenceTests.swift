// CVE-2016-5696 (Cao et al., "Off-Path TCP Exploits", USENIX Security 2016): with one stack-wide
// challenge-ACK budget of a fixed size per second, an off-path attacker that spends the budget with
// its own connection learns whether spoofed in-window RSTs at a guessed four-tuple hit a
// connection. The defences (TCPStack+InvalidSegmentRateLimit.swift): a per-connection interval
// (RFC 5961 §10) and a randomised stack-wide budget.

import Testing
import TCPWire
import TCPCore

@Suite("Challenge-ACK inference (CVE-2016-5696)")
struct ChallengeACKInferenceTests {
    static let hardened = Harness.configuration {
        $0.challengeACKLimit = 10
        $0.challengeACKLimitRandomized = true
        $0.invalidSegmentACKInterval = .milliseconds(500)
    }
    static let fixedBudgetOnly = Harness.configuration { $0.challengeACKLimit = 10 }

    /// Plays the attack for `seconds` seconds: each second the attacker sprays `burst` spoofed
    /// in-window RSTs at the guessed four-tuple (the victim's, or one with no connection), then
    /// sends `burst` in-window RSTs on its own connection twice and counts the challenge ACKs it
    /// gets back. Returns those counts, the challenge ACKs the victim's peer got, and the victim's state.
    static func attack(_ configuration: TCPConfiguration, guessExists: Bool, seconds: Int = 5, burst: Int = 10)
        -> (attacker: [Int], victimPeer: Int, victim: TCPState?) {
        var h = Harness.established(configuration)   // the victim: peer:49152 -> us:80
        let attacker = SocketAddress(peerIP, 50001)
        h.send(Seg(.syn, seq: 5000), at: 0, from: attacker)
        let synAck = h.takeSent()
        h.send(Seg(.ack, seq: 5001, ack: synAck[0].seq + 1), at: 0, from: attacker)
        #expect(h.takeSent().isEmpty)
        let guessed = guessExists ? h.peer : SocketAddress(peerIP, 40000)
        var counts: [Int] = [], victimPeer = 0
        for k in 1...seconds {
            let t = Double(k)
            for i in 0..<burst { h.send(Seg(.rst, seq: h.irs + UInt32(100 + 1000 * i)), at: t + 0.1, from: guessed) }
            for probe in [0.2, 0.7] {
                for _ in 0..<burst { h.send(Seg(.rst, seq: 5100), at: t + probe, from: attacker) }
            }
            h.drain()
            counts.append(h.outbox.filter { $0.destination == attacker }.count)
            victimPeer += h.outbox.filter { $0.destination == h.peer }.count
            h.outbox.removeAll()
        }
        return (counts, victimPeer, h.state)
    }

    @Test("hardened: the attacker's counts are the same whether the guessed connection exists or not; the victim survives")
    func attackerLearnsNothing() {
        let hit = Self.attack(Self.hardened, guessExists: true)
        let miss = Self.attack(Self.hardened, guessExists: false)
        #expect(hit.attacker == miss.attacker)
        #expect(hit.attacker.allSatisfy { $0 == 2 }, "one per 500 ms on its own connection: \(hit.attacker)")
        #expect(hit.victimPeer > 0, "the spoofed RSTs did reach the victim")
        #expect(hit.victim == .established)
        #expect(miss.victim == .established)
    }

    @Test("control: with only a fixed stack-wide budget the attacker tells a hit from a miss")
    func fixedBudgetLeaks() {
        let hit = Self.attack(Self.fixedBudgetOnly, guessExists: true)
        let miss = Self.attack(Self.fixedBudgetOnly, guessExists: false)
        #expect(hit.attacker != miss.attacker, "hit \(hit.attacker), miss \(miss.attacker)")
        #expect(hit.victim == .established)
    }

    @Test("one challenge ACK per connection per interval; other connections keep theirs")
    func perConnectionInterval() {
        var h = Harness.established(Harness.configuration { $0.invalidSegmentACKInterval = .milliseconds(500) })
        for _ in 0..<3 { h.send(Seg(.rst, seq: h.irs + 50), at: 1) }
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 1))
        h.expectNothingSent()
        h.send(Seg(.syn, seq: h.irs + 50), at: 1.499)
        h.expectNothingSent()
        #expect(h.stack.statistics.challengeACKsLimitedPerConnection == 3)
        #expect(h.drops(.challengeACKRateLimited) == 3)
        h.send(Seg(.syn, seq: h.irs + 50), at: 1.5)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 1))
        // Another connection has its own interval.
        let other = SocketAddress(peerIP, 50001)
        h.send(Seg(.syn, seq: 5000), at: 1.5, from: other)
        let synAck = h.takeSent()
        h.send(Seg(.ack, seq: 5001, ack: synAck[0].seq + 1), at: 1.5, from: other)
        h.send(Seg(.rst, seq: 5050), at: 1.6, from: other)
        #expect(h.takeSent().count == 1)
        #expect(h.stack.statistics.challengeACKsSent == 3)
        #expect(h.stack.statistics.challengeACKsLimitedGlobally == 0)
        #expect(h.state == .established)
    }

    @Test("ACKs to out-of-window segments without text share the interval; text again is always acknowledged")
    func outOfWindowACKs() {
        var h = Harness.established(Harness.configuration { $0.invalidSegmentACKInterval = .milliseconds(500) })
        h.send(Seg(.ack, seq: h.irs - 1000, ack: h.iss + 1), at: 1)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 1))
        h.send(Seg(.ack, seq: h.irs - 2000, ack: h.iss + 1), at: 1.1)
        h.expectNothingSent()
        #expect(h.stack.statistics.outOfWindowACKsLimited == 1)
        // A challenge ACK within the interval is withheld too (one timestamp, as Linux).
        h.send(Seg(.rst, seq: h.irs + 50), at: 1.2)
        h.expectNothingSent()
        #expect(h.stack.statistics.challengeACKsLimitedPerConnection == 1)
        // Old text again: its ACK is not limited.
        h.send(Seg([.psh, .ack], seq: h.irs + 1 - 10, ack: h.iss + 1, payload: Array(repeating: 0x61, count: 10)), at: 1.3)
        #expect(h.takeSent().count == 1)
        h.send(Seg(.ack, seq: h.irs - 3000, ack: h.iss + 1), at: 1.5)
        h.expectSent(Seg(.ack, seq: h.iss + 1, ack: h.irs + 1))
        #expect(h.stack.statistics.outOfWindowACKsLimited == 1)
    }

    @Test("the randomised budget is redrawn every second within [limit/2, limit*3/2), from the seed")
    func randomisedBudget() {
        func budgets() -> [Int] {
            var h = Harness.established(Harness.configuration { $0.challengeACKLimit = 10; $0.challengeACKLimitRandomized = true })
            var out: [Int] = []
            for k in 1...20 {
                for _ in 0..<30 { h.send(Seg(.rst, seq: h.irs + 50), at: Double(k) + 0.5) }
                out.append(h.takeSent().count)
            }
            #expect(h.stack.statistics.challengeACKsLimitedGlobally == 20 * 30 - out.reduce(0, +))
            return out
        }
        let a = budgets()
        #expect(a.allSatisfy { (5..<15).contains($0) }, "\(a)")
        #expect(Set(a).count > 1, "redrawn: \(a)")
        #expect(budgets() == a, "reproducible from the seed")
    }
}
