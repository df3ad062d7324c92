// Every synchronized state meeting every kind of segment, at an acceptable sequence number
// (SEG.SEQ = RCV.NXT) and an unacceptable one (wholly before RCV.NXT), with the answer of
// RFC 9293 §3.10.7.4 (+ RFC 5961 challenge ACKs, RFC 1337 in TIME-WAIT). The per-state files
// go into the details; this table makes sure no cell is forgotten.
//
// Segments other than the ACK acknowledge only SND.UNA, so that what they do is their own effect;
// the ACK acknowledges SND.NXT (our FIN, where there is one).

import Testing
import TCPWire
import TCPCore

@Suite("State × segment matrix")
struct StateMatrixTests {
    enum Kind: String, Sendable, CaseIterable { case syn = "SYN", synAck = "SYN,ACK", ack = "ACK", data = "data", fin = "FIN", rst = "RST" }

    enum Answer: Sendable, Equatable {
        /// RFC 5961 §4: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, nothing else changes.
        case challengeACK
        /// Nothing sent; the connection moves to (or stays in) this state.
        case silent(TCPState)
        /// <SEQ=SND.NXT><ACK=RCV.NXT+n><CTL=ACK> and this state.
        case ack(TCPState, advance: Int)
        /// Text after the peer's FIN: ignored, nothing sent.
        case textIgnored
        /// The connection is reset: CLOSED, nothing sent.
        case reset
        /// RFC 1337: ignored.
        case rstIgnored
    }

    static let acceptable: [TCPState: [Kind: Answer]] = [
        .established: [.syn: .challengeACK, .synAck: .challengeACK, .ack: .silent(.established),
                       .data: .ack(.established, advance: 10), .fin: .ack(.closeWait, advance: 1), .rst: .reset],
        .finWait1:    [.syn: .challengeACK, .synAck: .challengeACK, .ack: .silent(.finWait2),
                       .data: .ack(.finWait1, advance: 10), .fin: .ack(.closing, advance: 1), .rst: .reset],
        .finWait2:    [.syn: .challengeACK, .synAck: .challengeACK, .ack: .silent(.finWait2),
                       .data: .ack(.finWait2, advance: 10), .fin: .ack(.timeWait, advance: 1), .rst: .reset],
        // After the peer's FIN, a conforming peer sends no FIN at RCV.NXT: that cell is left out.
        .closeWait:   [.syn: .challengeACK, .synAck: .challengeACK, .ack: .silent(.closeWait), .data: .textIgnored, .rst: .reset],
        .closing:     [.syn: .challengeACK, .synAck: .challengeACK, .ack: .silent(.timeWait), .data: .textIgnored, .rst: .reset],
        .lastAck:     [.syn: .challengeACK, .synAck: .challengeACK, .ack: .silent(.closed), .data: .textIgnored, .rst: .reset],
        .timeWait:    [.syn: .challengeACK, .synAck: .challengeACK, .ack: .silent(.timeWait), .data: .textIgnored, .rst: .rstIgnored],
    ]

    struct Case: Sendable, CustomTestStringConvertible {
        var state: TCPState
        var kind: Kind
        var acceptable: Bool
        var answer: Answer
        var testDescription: String { "\(state) + \(kind) \(acceptable ? "at RCV.NXT" : "before the window")" }
    }

    static let cases: [Case] = {
        let states: [TCPState] = [.established, .finWait1, .finWait2, .closeWait, .closing, .lastAck, .timeWait]
        var out: [Case] = []
        for s in states {
            for k in Kind.allCases {
                if let a = acceptable[s]![k] { out.append(Case(state: s, kind: k, acceptable: true, answer: a)) }
                // Unacceptable: an ACK <SEQ=SND.NXT><ACK=RCV.NXT> for all but RST, which is dropped.
                out.append(Case(state: s, kind: k, acceptable: false, answer: k == .rst ? .silent(s) : .ack(s, advance: 0)))
            }
        }
        return out
    }()

    @Test("the RFC 9293 §3.10.7.4 answer", arguments: cases)
    func answer(_ c: Case) {
        var h = Harness.fixture(c.state)
        let rcvNxt = h.rcvNxt, sndNxt = h.sndNxt, sndUna = h.info.sndUna
        let seq: SequenceNumber = c.acceptable ? rcvNxt : rcvNxt - UInt32(100)
        let seg: Seg = switch c.kind {
        case .syn: Seg(.syn, seq: seq)
        case .synAck: Seg([.syn, .ack], seq: seq, ack: sndUna)
        case .ack: Seg(.ack, seq: seq, ack: sndNxt)
        case .data: Seg([.psh, .ack], seq: seq, ack: sndUna, payload: Array(repeating: 0x61, count: 10))
        case .fin: Seg([.fin, .ack], seq: seq, ack: sndUna)
        case .rst: Seg(.rst, seq: seq)
        }
        let challenges = h.stack.statistics.challengeACKsSent
        h.send(seg, at: 0.5)
        let events = h.pollEvents()
        switch c.answer {
        case .challengeACK:
            h.expectSent(Seg(.ack, seq: sndNxt, ack: rcvNxt))
            #expect(h.state == c.state)
            #expect(h.stack.statistics.challengeACKsSent == challenges + 1)
            #expect(h.drops(.synChallenged) == 1)
            #expect(events.isEmpty)
        case .silent(let s):
            #expect(h.state == s)
            if !c.acceptable { #expect(h.drops(.rstOutOfWindow) == 1) }
            #expect(events == (s == .closed ? [.closed(h.conn)] : []))
        case .ack(let s, let n):
            let unread = c.kind == .data && n > 0 ? 10 : 0
            h.expectSent(Seg(.ack, seq: sndNxt, ack: rcvNxt + n, window: window(unread: unread)))
            #expect(h.state == s)
            if !c.acceptable {
                #expect(h.drops(.unacceptableSequence) == 1)
                #expect(events.isEmpty)
            } else {
                #expect(events == [c.kind == .data ? .readable(h.conn) : .peerClosed(h.conn)])
            }
        case .textIgnored:
            #expect(h.state == c.state)
            #expect(h.drops(.textAfterFIN) == 1)
            #expect(h.info.rcvNxt == rcvNxt)
            #expect(events.isEmpty)
        case .reset:
            #expect(h.state == .closed)
            #expect(events == [.reset(h.conn, .peerReset)])
        case .rstIgnored:
            #expect(h.state == .timeWait)
            #expect(h.drops(.rstInTimeWait) == 1)
            #expect(events.isEmpty)
        }
        h.expectNothingSent()
    }
}

// ABORT (RFC 9293 §3.10.5) in every state: a RST <SEQ=SND.NXT> where the peer may still be sending
// or waiting for data; nothing in SYN-SENT, CLOSING, LAST-ACK, TIME-WAIT; the TCB is gone either way.
@Suite("ABORT in every state")
struct AbortTests {
    @Test("abort", arguments: [
        (TCPState.synSent, false), (.synReceived, true), (.established, true), (.finWait1, true), (.finWait2, true),
        (.closeWait, true), (.closing, false), (.lastAck, false), (.timeWait, false),
    ])
    func abort(_ state: TCPState, _ rst: Bool) throws {
        var h = Harness.fixture(state)
        if state == .synReceived {
            // Abort needs a handle: use the active side of a simultaneous open.
            h = Harness.synSent()
            h.send(Seg(.syn, seq: h.irs), at: 0)
            _ = h.takeSent()
        }
        let synchronized = state != .synSent
        let sndNxt = h.info.sndNxt, rcvNxt = h.info.rcvNxt
        h.abort(at: 0.5)
        if rst {
            h.expectSent(Seg(synchronized ? [.rst, .ack] : .rst, seq: sndNxt, ack: synchronized ? rcvNxt : 0, window: 0))
        }
        h.expectNothingSent()
        #expect(h.state == nil)
        #expect(h.stack.connectionCount == 0)
        #expect(h.stack.nextDeadline == nil)
        #expect(throws: TCPError.invalidHandle) { try h.stack.abort(h.conn, now: h.now) }
    }
}
