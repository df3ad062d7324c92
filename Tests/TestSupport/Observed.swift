import Foundation
import Testing
import TCPCore
import TCPSim
import TCPTrace
import TCPWire

/// A scenario's run, read back as the tests compare it: every segment put on the wire and every
/// state change, as short strings, so an unexpected run shows as a readable diff.
package struct Observed {
    package let run: ScenarioRun

    package init(_ scenario: Scenario, seed: UInt64 = 1, ipv6: Bool = false, msl: Duration = .seconds(30)) {
        var o = ScenarioOptions()
        o.seed = seed
        o.ipv6 = ipv6
        o.msl = msl
        run = scenario.run(o)
    }

    package var timeline: Timeline { run.timeline }

    /// What a failed expectation says after its values: the command that replays the run.
    package var replay: Comment { "replay: \(run.replay)" }

    /// `"1.010 server SYN,ACK 0/1 len=0"`: time of sending in ms precision, host, flags, the
    /// sequence number relative to the sender's ISN, the acknowledgment number relative to the
    /// receiver's ISN (`-` without ACK or without a known ISN), the payload length, and ` lost`
    /// for a segment that never arrived. Relative numbers follow every SYN sent or received, as
    /// the renderers do.
    package var segments: [String] {
        var rel = RelativeNumbers()
        var out: [String] = []
        for e in timeline.sorted {
            switch e.kind {
            case let .send(_, s, fate):
                rel.observe(s)
                var text = "\(Self.ms(e.time)) \(e.host) \(s.flags.names.joined(separator: ","))"
                text += " \(rel.relativeSeq(s).map(String.init) ?? "-")/\(rel.relativeAck(s).map(String.init) ?? "-") len=\(s.payloadLength)"
                if case .lost = fate { text += " lost" }
                out.append(text)
            case let .receive(_, s):
                rel.observe(s)
            default:
                break
            }
        }
        return out
    }

    /// The segments a host sent, with their full summaries and times.
    package func sent(by host: String) -> [(time: Instant, segment: SegmentSummary)] {
        timeline.sorted.compactMap { e in
            if case let .send(_, s, _) = e.kind, e.host == host { (e.time, s) } else { nil }
        }
    }

    /// A host's state changes, `"LISTEN→SYN-RECEIVED"`.
    package func transitions(_ host: String) -> [String] {
        timeline.sorted.compactMap { e in
            if case let .state(from, to) = e.kind, e.host == host { "\(from.rawValue)→\(to.rawValue)" } else { nil }
        }
    }

    /// When a host made a state change.
    package func time(_ host: String, _ from: TCPState, _ to: TCPState) -> Instant? {
        timeline.sorted.first { e in
            if case .state(from, to) = e.kind { e.host == host } else { false }
        }?.time
    }

    /// `"1.020 client unacceptable-sequence"`.
    package var drops: [String] {
        timeline.sorted.compactMap { e in
            if case let .drop(reason, _) = e.kind { "\(Self.ms(e.time)) \(e.host) \(reason.rawValue)" } else { nil }
        }
    }

    /// `"1.000 client retransmit"`.
    package var timers: [String] {
        timeline.sorted.compactMap { e in
            if case let .timer(kind) = e.kind { "\(Self.ms(e.time)) \(e.host) \(kind.rawValue)" } else { nil }
        }
    }

    /// `"0.020 client connect() fails: connection refused; close()"`.
    package var notes: [String] {
        timeline.sorted.compactMap { e in
            if case let .note(text) = e.kind { "\(Self.ms(e.time)) \(e.host) \(text)" } else { nil }
        }
    }

    /// Connections (TCBs) left in each host's stack after the run.
    package var connectionsLeft: [String: Int] {
        Dictionary(uniqueKeysWithValues: run.network.hosts.map { ($0.name, $0.stack.connectionCount) })
    }

    package static func ms(_ t: Instant) -> String {
        let ms = t.nanoseconds / 1_000_000
        let frac = String(ms % 1000)
        return "\(ms / 1000).\(String(repeating: "0", count: 3 - frac.count))\(frac)"
    }
}

/// What the scenarios share, as the tests expect it (10 ms one-way delay).
package enum Expected {
    /// The segments of `App.exchange()` from the moment the client is ESTABLISHED at `t` seconds:
    /// the request rides on the handshake's ACK, the answer, the client's FIN, the server's ACK
    /// and then its FIN (the four-way close), the client's last ACK.
    package static func exchange(from t: Double) -> [String] {
        func at(_ k: Int) -> String { Observed.ms(.seconds(t + Double(k) * 0.01)) }
        return [
            "\(at(0)) client PSH,ACK 1/1 len=18",
            "\(at(1)) server PSH,ACK 1/19 len=25",
            "\(at(2)) client FIN,ACK 19/26 len=0",
            "\(at(3)) server ACK 26/20 len=0",
            "\(at(3)) server FIN,ACK 26/20 len=0",
            "\(at(4)) client ACK 20/27 len=0",
        ]
    }

    /// The client's states from connect() to the end of TIME-WAIT, as the active closer.
    package static let activeCloser = ["CLOSED→SYN-SENT", "SYN-SENT→ESTABLISHED", "ESTABLISHED→FIN-WAIT-1",
                               "FIN-WAIT-1→FIN-WAIT-2", "FIN-WAIT-2→TIME-WAIT", "TIME-WAIT→CLOSED"]
    /// The listening server's states, as the passive closer.
    package static let passiveCloser = ["CLOSED→LISTEN", "LISTEN→SYN-RECEIVED", "SYN-RECEIVED→ESTABLISHED",
                                "ESTABLISHED→CLOSE-WAIT", "CLOSE-WAIT→LAST-ACK", "LAST-ACK→CLOSED"]
}

/// What the tests look for in the scenarios' explanations.
package enum Explanations {
    /// The RFC sections a text cites: "RFC 9293 §3.10.7.4".
    package static func rfcSections(_ s: String) -> [String] {
        s.matches(of: /RFC \d+ §\d+(\.\d+)*/).map { String($0.output.0) }
    }

    /// Whether a text has Chinese characters (CJK Unified Ideographs) in it.
    package static func isChinese(_ s: String) -> Bool {
        s.unicodeScalars.contains { (0x4E00...0x9FFF).contains($0.value) }
    }
}
