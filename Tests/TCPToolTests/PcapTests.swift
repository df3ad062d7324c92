import Foundation
import Testing
import TCPCore
import TCPSim
import TCPTrace
import TCPWire

/// `--pcap`: the packets of a run, read back from the file's bytes, and (when it is installed)
/// by tshark.
@Suite struct PcapTests {
    /// A pcap file read back: the header's fields and each record.
    struct Parsed {
        var magic: UInt32, major: UInt16, minor: UInt16, thisZone: UInt32, sigFigs: UInt32, snapLength: UInt32, linkType: UInt32
        var records: [(seconds: UInt32, fraction: UInt32, originalLength: UInt32, bytes: [UInt8])] = []

        init(_ b: [UInt8]) throws {
            func u32(_ i: Int) -> UInt32 { UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24 }
            try #require(b.count >= 24)
            magic = u32(0); major = UInt16(u32(4) & 0xFFFF); minor = UInt16(u32(4) >> 16)
            thisZone = u32(8); sigFigs = u32(12); snapLength = u32(16); linkType = u32(20)
            var i = 24
            while i < b.count {
                try #require(i + 16 <= b.count)
                let kept = Int(u32(i + 8))
                try #require(i + 16 + kept <= b.count)
                records.append((u32(i), u32(i + 4), u32(i + 12), Array(b[(i + 16)..<(i + 16 + kept)])))
                i += 16 + kept
            }
        }
    }

    static func run(_ name: String, ipv6: Bool = false) -> ScenarioRun {
        var o = ScenarioOptions()
        o.ipv6 = ipv6
        return Scenario.named(name)!.run(o)
    }

    static func pcap(_ run: ScenarioRun, _ resolution: PcapWriter.Resolution = .nanoseconds) -> [UInt8] {
        PcapWriter.file(run.network.wire.map { PcapWriter.Packet(time: $0.time, bytes: $0.bytes) }, resolution: resolution)
    }

    /// The segments the timeline shows sent, in the order they were put on the wire.
    static func sends(_ run: ScenarioRun) -> [SegmentSummary] {
        run.timeline.entries.compactMap { e in if case let .send(_, s, _) = e.kind { s } else { nil } }
    }

    @Test(arguments: [false, true]) func recordsMatchTheTimeline(ipv6: Bool) throws {
        let run = Self.run("lost-syn", ipv6: ipv6)
        let file = try Parsed(Self.pcap(run))
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
        let file = try Parsed(PcapWriter.file([p], resolution: .microseconds, snapLength: 60))
        #expect(file.magic == 0xA1B2_C3D4)
        #expect(file.snapLength == 60)
        try #require(file.records.count == 1)
        #expect(file.records[0].seconds == 2 && file.records[0].fraction == 500_001)
        #expect(file.records[0].bytes.count == 60 && file.records[0].originalLength == 100)
        #expect(PcapWriter.file([]).count == 24)
    }

    // MARK: tshark

    /// Where `tshark` is on PATH, if it is.
    static var tshark: String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/tshark" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs tshark and returns its standard output.
    static func tshark(_ path: String, _ arguments: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = arguments
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "tshark \(arguments) exited \(p.terminationStatus)")
        return String(decoding: data, as: UTF8.self)
    }

    /// tshark's `tcp.flags.str`: `··········S·` (reserved, AE, then C E U A P R S F).
    static func flagString(_ f: TCPFlags) -> String {
        var out = "····"
        for (bit, letter) in zip((0..<8).reversed(), "CEUAPRSF") {
            out.append(f.rawValue & (1 << bit) != 0 ? letter : "·")
        }
        return out
    }

    static let tsharkScenarios: [(String, Bool)] = [("classic", false), ("classic", true), ("lost-syn", false), ("stale-syn", false),
                                                     ("reset", false), ("refused", false), ("zero-window", false)]

    @Test(arguments: tsharkScenarios) func tsharkDecodesTheSameSegments(name: String, ipv6: Bool) throws {
        guard let tshark = Self.tshark else {
            let message = "tshark is not on PATH: the pcap check against tshark did NOT run (apt-get install tshark)"
            print("\n!!!!!!!!!! NOTE: \(message) !!!!!!!!!!\n")
            if ProcessInfo.processInfo.environment["CI"] != nil { Issue.record("\(message); CI is set, so this fails") }
            return
        }
        let run = Self.run(name, ipv6: ipv6)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tcpkit-\(name)-\(ipv6)-\(UUID().uuidString).pcap")
        try Data(Self.pcap(run)).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let options = ["-o", "tcp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE", "-r", url.path]
        let fields = try Self.tshark(tshark, options + ["-T", "fields", "-E", "separator=/t",
            "-e", "tcp.flags.str", "-e", "tcp.seq_raw", "-e", "tcp.ack_raw", "-e", "tcp.checksum.status",
            "-e", "tcp.len", "-e", "ip.checksum.status", "-e", "_ws.malformed"])
        let rows = fields.split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
        let sends = Self.sends(run)
        try #require(rows.count == sends.count, "\(fields)")
        for (row, s) in zip(rows, sends) {
            try #require(row.count == 7, "\(row)")
            #expect(row[0] == Self.flagString(s.flags))
            #expect(row[1] == String(s.sequenceNumber.rawValue))
            #expect(row[2] == String(s.acknowledgmentNumber.rawValue))
            // Wireshark's checksum status: 0 bad, 1 good, 2 unverified.
            #expect(row[3] == "1", "TCP checksum status \(row[3])")
            #expect(row[4] == String(s.payloadLength))
            #expect(row[5] == (ipv6 ? "" : "1"), "IPv4 header checksum status \(row[5])")
            #expect(row[6] == "", "malformed")
        }
        let expert = try Self.tshark(tshark, options + ["-q", "-z", "expert"])
        #expect(!expert.contains("Malformed"), "\(expert)")
        #expect(!expert.contains("Errors ("), "\(expert)")
    }
}
