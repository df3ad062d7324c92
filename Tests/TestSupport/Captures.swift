import Foundation
import Testing
import TCPSim
import TCPTrace
import TCPWire

/// A pcap file read back: the header's fields and each record.
package struct PcapFile {
    package var magic: UInt32, major: UInt16, minor: UInt16, thisZone: UInt32, sigFigs: UInt32, snapLength: UInt32, linkType: UInt32
    package var records: [(seconds: UInt32, fraction: UInt32, originalLength: UInt32, bytes: [UInt8])] = []

    package init(_ b: [UInt8]) throws {
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

extension ScenarioRun {
    /// Every packet of the run as a pcap file (what `--pcap` writes).
    package func pcap(_ resolution: PcapWriter.Resolution = .nanoseconds) -> [UInt8] {
        PcapWriter.file(network.wire.map { PcapWriter.Packet(time: $0.time, bytes: $0.bytes) }, resolution: resolution)
    }
}

/// Wireshark's decoder on a capture (see `ExternalTool.tshark`).
package enum Tshark {
    /// Runs tshark with `arguments` and returns its standard output.
    package static func run(_ path: String, _ arguments: [String]) throws -> String {
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
    package static func flagString(_ f: TCPFlags) -> String {
        var out = "····"
        for (bit, letter) in zip((0..<8).reversed(), "CEUAPRSF") {
            out.append(f.rawValue & (1 << bit) != 0 ? letter : "·")
        }
        return out
    }
}

/// Every match of a regular expression in `text`, each as its groups (group 0 first; "" for a
/// group that did not take part).
package func regexMatches(_ pattern: String, in text: String) -> [[String]] {
    let re = try! NSRegularExpression(pattern: pattern)
    let ns = text as NSString
    return re.matches(in: text, range: NSRange(location: 0, length: ns.length)).map { m in
        (0..<m.numberOfRanges).map { m.range(at: $0).location == NSNotFound ? "" : ns.substring(with: m.range(at: $0)) }
    }
}
