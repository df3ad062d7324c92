import Foundation
import Testing
import TestSupport
import TCPCore
import TCPSim
import TCPTrace

/// The JSONL `info` record carries every field of `TCPInfo`, each under its documented key with
/// its value.
@Suite struct InfoRecordTests {
    /// TCPInfo's stored properties and the JSONL key each is written under.
    static let keys: [String: String] = [
        "state": "state", "srtt": "srtt", "rttvar": "rttvar", "rto": "rto", "cwnd": "cwnd", "ssthresh": "ssthresh",
        "sendMSS": "mss", "advertisedMSS": "advmss", "receiveMSS": "rcvMss",
        "bytesSent": "bytesSent", "bytesRetransmitted": "bytesRetrans", "bytesAcked": "bytesAcked", "bytesReceived": "bytesReceived",
        "segmentsSent": "segsOut", "segmentsReceived": "segsIn", "segmentsRetransmitted": "retransSegs",
        "sackedBytes": "sackedBytes", "sackedBytesOutstanding": "sackedBytesNow",
        "outOfOrderSegments": "outOfOrder", "duplicateACKs": "dupAcks", "windowProbes": "windowProbes",
        "keepAliveProbes": "keepAliveProbes", "delayedACKs": "delayedAcks", "deliveryRate": "deliveryRate",
        "sendWindow": "sndWnd", "receiveWindow": "rcvWnd", "bytesInFlight": "inFlight",
        "sendQueue": "sendQueue", "receiveQueue": "recvQueue", "backoff": "backoff",
        "congestionControl": "congestionControl", "congestionState": "congestionState",
        "sendBufferBytes": "sndBuf", "receiveBufferBytes": "rcvBuf", "receiverRTT": "rcvRtt",
        "ecn": "ecn", "ceReceived": "ceReceived", "eceReceived": "eceReceived", "ecnReductions": "ecnReductions",
        "fastOpenSYNData": "synData",
        "unackedSegments": "unackedSegs", "sackedSegments": "sackedSegs", "lostSegments": "lostSegs",
        "retransmittingSegments": "retransmittingSegs", "probesUnanswered": "probes", "minRTT": "minRtt",
        "segmentsDelivered": "delivered", "busyTime": "busyTime", "receiveWindowLimitedTime": "rwndLimited",
        "sendBufferLimitedTime": "sndbufLimited",
    ]

    /// A sample of the bulk run's client in fast recovery: ssthresh set, SACKed bytes, data in
    /// flight — values that differ from a fresh connection's.
    static func recoverySample() -> TCPInfo? {
        Observed(Scenario.bulk).timeline.samples.first {
            $0.host == "client" && $0.info.congestionState == .recovery && $0.info.sackedBytesOutstanding > 0
        }?.info
    }

    @Test("every TCPInfo field is in the info record, with its value")
    func everyField() throws {
        let info = try #require(Self.recoverySample())
        let fields = Dictionary(uniqueKeysWithValues: JSONLinesRenderer.infoFields(info))
        let properties = Mirror(reflecting: info).children.compactMap(\.label)
        #expect(Set(properties) == Set(Self.keys.keys), "a TCPInfo field without a JSONL key, or a stale key")
        #expect(Set(fields.keys) == Set(Self.keys.values))
        // The record parses, and each value is the field's.
        var t = Timeline(hosts: ["client", "server"])
        t.append(.init(time: .seconds(1), host: "client", kind: .info(info, connection: nil)))
        let line = JSONLinesRenderer.render(t)
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        for child in Mirror(reflecting: info).children {
            let key = Self.keys[child.label!]!
            let value = obj[key]
            switch child.value {
            case let d as Duration?:
                if let d { #expect((value as? NSNumber)?.doubleValue == Double(d.nanoseconds) / 1e9, "\(key)") } else { #expect(value is NSNull, "\(key)") }
            case let n as Int?:
                if let n { #expect((value as? NSNumber)?.int64Value == Int64(n), "\(key)") } else { #expect(value is NSNull, "\(key)") }
            case let n as UInt64:
                #expect((value as? NSNumber)?.uint64Value == n, "\(key)")
            case let n as UInt32:
                #expect((value as? NSNumber)?.uint32Value == n, "\(key)")
            case let b as Bool:
                #expect(value as? Bool == b, "\(key)")
            case let s as TCPState:
                #expect(value as? String == s.rawValue)
            case let c as CongestionControlAlgorithm:
                #expect(value as? String == c.rawValue)
            case let c as CongestionState:
                #expect(value as? String == c.rawValue)
            case let b as Bool:
                #expect(value as? Bool == b, "\(key)")
            default:
                Issue.record("\(key): a field type the test does not know: \(type(of: child.value))")
            }
        }
        #expect(obj["congestionState"] as? String == "recovery" && obj["congestionControl"] as? String == "cubic")
        #expect((obj["sackedBytes"] as? Int ?? 0) >= (obj["sackedBytesNow"] as? Int ?? 0) && (obj["sackedBytesNow"] as? Int ?? 0) > 0)
    }
}
