import Foundation
import Testing
import TestSupport
import TCPCore
import TCPSim
import TCPTrace
import TCPWire

/// `--pcap`: the packets of a run, read back from the file's bytes, and (when it is installed)
/// by tshark.
@Suite struct PcapTests {
    static func run(_ name: String, ipv6: Bool = false) -> ScenarioRun {
        var o = ScenarioOptions()
        o.ipv6 = ipv6
        return Scenario.named(name)!.run(o)
    }

    /// The segments the timeline shows sent, in the order they were put on the wire.
    static func sends(_ run: ScenarioRun) -> [SegmentSummary] {
        run.timeline.entries.compactMap { e in if case let .send(_, s, _) = e.kind { s } else { nil } }
    }

    @Test(arguments: [false, true]) func recordsMatchTheTimeline(ipv6: Bool) throws {
        let run = Self.run("lost-syn", ipv6: ipv6)
        let file = try PcapFile(run.pcap())
        #expect(file.magic == 0xA1B2_3C4D)
        #expect(file.major == 2 && file.minor == 4)
        #expect(file.thisZone == 0 && file.sigFigs == 0)
        #expect(file.snapLength == 262_144)
        #expect(file.linkType == 101)
        let sends = Self.sends(run)
        // The lost SYN is in the file: the capture is at the sender.
        #expect(run.network.wire.filter(\.lost).count == 1)
        try #require(file.records.count == sends.count)
        try #require(file.records.count == run.network.wire.count)
        for (k, r) in file.records.enumerated() {
            let w = run.network.wire[k]
            #expect(Int64(r.seconds) * 1_000_000_000 + Int64(r.fraction) == w.time.nanoseconds)
            #expect(r.fraction < 1_000_000_000)
            #expect(Int(r.originalLength) == r.bytes.count)
            #expect(r.bytes[0] >> 4 == (ipv6 ? 6 : 4))
            let s = try r.bytes.withUnsafeBytes { b in
                let v = try TCPPacket.parse(b)
                return SegmentSummary(source: v.sourceSocket, destination: v.destinationSocket, header: v.header, payloadLength: v.payload.count)
            }
            #expect(s == sends[k])
        }
        // The retransmitted SYN at 1 s.
        #expect(file.records[1].seconds == 1 && file.records[1].fraction == 0)
    }

    @Test func microsecondsAndSnapLength() throws {
        let p = PcapWriter.Packet(time: .seconds(2.5000019), bytes: Array(repeating: 0x45, count: 100))
        let file = try PcapFile(PcapWriter.file([p], resolution: .microseconds, snapLength: 60))
        #expect(file.magic == 0xA1B2_C3D4)
        #expect(file.snapLength == 60)
        try #require(file.records.count == 1)
        #expect(file.records[0].seconds == 2 && file.records[0].fraction == 500_001)
        #expect(file.records[0].bytes.count == 60 && file.records[0].originalLength == 100)
        #expect(PcapWriter.file([]).count == 24)
    }

    // MARK: tshark

    static let tsharkScenarios: [(String, Bool)] = [("classic", false), ("classic", true), ("lost-syn", false), ("stale-syn", false),
                                                     ("reset", false), ("refused", false), ("zero-window", false)]

    @Test(.requires(.tshark), arguments: tsharkScenarios) func tsharkDecodesTheSameSegments(name: String, ipv6: Bool) throws {
        let tshark = try ExternalTool.tshark.require()
        let run = Self.run(name, ipv6: ipv6)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tcpkit-\(name)-\(ipv6)-\(UUID().uuidString).pcap")
        try Data(run.pcap()).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let options = ["-o", "tcp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE", "-r", url.path]
        let fields = try Tshark.run(tshark, options + ["-T", "fields", "-E", "separator=/t",
            "-e", "tcp.flags.str", "-e", "tcp.seq_raw", "-e", "tcp.ack_raw", "-e", "tcp.checksum.status",
            "-e", "tcp.len", "-e", "ip.checksum.status", "-e", "_ws.malformed"])
        let rows = fields.split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
        let sends = Self.sends(run)
        try #require(rows.count == sends.count, "\(fields)")
        for (row, s) in zip(rows, sends) {
            try #require(row.count == 7, "\(row)")
            #expect(row[0] == Tshark.flagString(s.flags))
            #expect(row[1] == String(s.sequenceNumber.rawValue))
            #expect(row[2] == String(s.acknowledgmentNumber.rawValue))
            // Wireshark's checksum status: 0 bad, 1 good, 2 unverified.
            #expect(row[3] == "1", "TCP checksum status \(row[3])")
            #expect(row[4] == String(s.payloadLength))
            #expect(row[5] == (ipv6 ? "" : "1"), "IPv4 header checksum status \(row[5])")
            #expect(row[6] == "", "malformed")
        }
        let expert = try Tshark.run(tshark, options + ["-q", "-z", "expert"])
        #expect(!expert.contains("Malformed"), "\(expert)")
        #expect(!expert.contains("Errors ("), "\(expert)")
    }
}
