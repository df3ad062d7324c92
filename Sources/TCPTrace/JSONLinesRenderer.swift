import TCPCore
import TCPWire

/// One JSON object per line (the `--format jsonl` schema, documented in docs/cli.md):
///
///     {"t":0.01,"host":"server","event":"state","from":"LISTEN","to":"SYN-RECEIVED"}
///     {"t":0,"host":"client","event":"send","flags":["SYN"],"seq":1,"ack":0,"relSeq":0,"relAck":null,"len":0,"win":65535,...}
///     {"t":0.01,"host":"server","event":"recv",...}      same fields as send
///     {"t":1,"host":"client","event":"lost","reason":"scripted drop",...}   a send that never arrived
///     {"t":0.5,"host":"server","event":"drop","reason":"unacceptable-sequence"}
///     {"t":1,"host":"client","event":"timer","timer":"retransmit"}
///     {"t":2,"host":"client","event":"note","text":"..."}
///     {"t":62,"host":"client","event":"info","conn":"c0.0","state":"CLOSED","srtt":0.02,...}   a TCPInfo snapshot
public enum JSONLinesRenderer {
    public static func render(_ timeline: Timeline) -> String {
        var out = ""
        var rel = RelativeNumbers()
        for e in timeline.sorted {
            var fields: [(String, String)] = [("t", number(e.time.seconds)), ("host", string(e.host))]
            switch e.kind {
            case let .state(from, to):
                fields += [("event", string("state")), ("from", string(from.rawValue)), ("to", string(to.rawValue))]
            case let .send(packet, s, fate):
                rel.observe(s)
                fields += [("event", string("send"))] + segmentFields(s, rel, packet: packet)
                if case .delivered(let at) = fate { fields.append(("arrives", number(at.seconds))) }
                if timeline.networkCopies.contains(packet) { fields.append(("copy", "true")) }
                out += object(fields) + "\n"
                if case .lost(let reason) = fate {
                    var lost: [(String, String)] = [("t", number(e.time.seconds)), ("host", string(e.host)), ("event", string("lost")), ("reason", string(reason))]
                    lost += segmentFields(s, rel, packet: packet)
                    out += object(lost) + "\n"
                }
                continue
            case let .receive(packet, s):
                rel.observe(s)
                fields += [("event", string("recv"))] + segmentFields(s, rel, packet: packet)
            case let .drop(reason, s):
                fields += [("event", string("drop")), ("reason", string(reason.rawValue))]
                if let s { fields += segmentFields(s, rel, packet: nil) }
            case let .timer(kind):
                fields += [("event", string("timer")), ("timer", string(kind.rawValue))]
            case let .note(text):
                fields += [("event", string("note")), ("text", string(text))]
            case let .info(info, connection):
                fields += [("event", string("info"))]
                if let connection { fields.append(("conn", string(connection.description))) }
                fields += infoFields(info)
            }
            out += object(fields) + "\n"
        }
        return out
    }

    static func segmentFields(_ s: SegmentSummary, _ rel: RelativeNumbers, packet: Int?) -> [(String, String)] {
        var f: [(String, String)] = [
            ("flags", "[" + s.flags.names.map(string).joined(separator: ",") + "]"),
            ("seq", String(s.sequenceNumber.rawValue)),
            ("ack", String(s.acknowledgmentNumber.rawValue)),
            ("relSeq", rel.relativeSeq(s).map { String($0) } ?? "null"),
            ("relAck", rel.relativeAck(s).map { String($0) } ?? "null"),
            ("len", String(s.payloadLength)),
            ("win", String(s.window)),
            ("src", string(s.source.description)),
            ("dst", string(s.destination.description)),
        ]
        if let mss = s.options.mss { f.append(("mss", String(mss))) }
        if let packet { f.append(("packet", String(packet))) }
        return f
    }

    /// The `info` event's fields (docs/cli.md, `--format jsonl`): durations in seconds, counts as integers.
    public static func infoFields(_ i: TCPInfo) -> [(String, String)] {
        func secs(_ d: Duration) -> String { number(Double(d.nanoseconds) / 1e9) }
        return [
            ("state", string(i.state.rawValue)),
            ("srtt", i.srtt.map(secs) ?? "null"), ("rttvar", secs(i.rttvar)), ("rto", secs(i.rto)),
            ("cwnd", String(i.cwnd)), ("ssthresh", i.ssthresh.map { String($0) } ?? "null"),
            ("mss", String(i.sendMSS)), ("advmss", String(i.advertisedMSS)), ("rcvMss", String(i.receiveMSS)),
            ("bytesSent", String(i.bytesSent)), ("bytesRetrans", String(i.bytesRetransmitted)),
            ("bytesAcked", String(i.bytesAcked)), ("bytesReceived", String(i.bytesReceived)),
            ("segsOut", String(i.segmentsSent)), ("segsIn", String(i.segmentsReceived)),
            ("retransSegs", String(i.segmentsRetransmitted)),
            ("sackedBytes", String(i.sackedBytes)), ("sackedBytesNow", String(i.sackedBytesOutstanding)),
            ("outOfOrder", String(i.outOfOrderSegments)), ("dupAcks", String(i.duplicateACKs)),
            ("windowProbes", String(i.windowProbes)), ("keepAliveProbes", String(i.keepAliveProbes)),
            ("delayedAcks", String(i.delayedACKs)), ("deliveryRate", String(i.deliveryRate)),
            ("sndWnd", String(i.sendWindow)), ("rcvWnd", String(i.receiveWindow)), ("inFlight", String(i.bytesInFlight)),
            ("sendQueue", String(i.sendQueue)), ("recvQueue", String(i.receiveQueue)), ("backoff", String(i.backoff)),
            ("congestionControl", string(i.congestionControl.rawValue)), ("congestionState", string(i.congestionState.rawValue)),
            ("sndBuf", String(i.sendBufferBytes)), ("rcvBuf", String(i.receiveBufferBytes)),
            ("rcvRtt", i.receiverRTT.map(secs) ?? "null"),
            ("ecn", i.ecn ? "true" : "false"), ("ceReceived", String(i.ceReceived)), ("eceReceived", String(i.eceReceived)),
            ("ecnReductions", String(i.ecnReductions)),
            ("synData", i.fastOpenSYNData ? "true" : "false"),
            ("unackedSegs", String(i.unackedSegments)), ("sackedSegs", String(i.sackedSegments)),
            ("lostSegs", String(i.lostSegments)), ("retransmittingSegs", String(i.retransmittingSegments)),
            ("probes", String(i.probesUnanswered)), ("minRtt", i.minRTT.map(secs) ?? "null"),
            ("delivered", String(i.segmentsDelivered)), ("busyTime", secs(i.busyTime)),
            ("rwndLimited", secs(i.receiveWindowLimitedTime)), ("sndbufLimited", secs(i.sendBufferLimitedTime)),
        ]
    }

    static func object(_ fields: [(String, String)]) -> String {
        "{" + fields.map { "\(string($0.0)):\($0.1)" }.joined(separator: ",") + "}"
    }

    /// A JSON number: integral values without a fraction, others with up to 9 decimals.
    static func number(_ x: Double) -> String {
        if x == x.rounded() && abs(x) < 1e15 { return String(Int64(x)) }
        var s = String(format9(x))
        while s.hasSuffix("0") { s.removeLast() }
        return s
    }

    static func format9(_ x: Double) -> String {
        let scaled = Int64((x * 1e9).rounded())
        let sign = scaled < 0 ? "-" : ""
        let a = abs(scaled)
        let frac = String(a % 1_000_000_000)
        return "\(sign)\(a / 1_000_000_000).\(String(repeating: "0", count: 9 - frac.count))\(frac)"
    }

    /// A JSON string with the escapes RFC 8259 §7 requires.
    public static func string(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    let hex = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }
}
