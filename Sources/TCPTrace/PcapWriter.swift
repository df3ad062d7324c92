import TCPCore

/// Packets as a classic pcap file (the libpcap format Wireshark and tcpdump read), built in
/// memory: the caller writes the bytes where it likes.
///
/// Link type LINKTYPE_RAW (101): each record is a bare IP packet, IPv4 or IPv6 told apart by its
/// version nibble, so both families share one file. Fields are little-endian; the magic number
/// says the byte order and the resolution of the timestamps (0xa1b2c3d4: microseconds,
/// 0xa1b23c4d: nanoseconds, the simulator's own resolution and the default).
public enum PcapWriter {
    public struct Packet: Sendable {
        public var time: Instant
        public var bytes: [UInt8]
        public init(time: Instant, bytes: [UInt8]) {
            self.time = time
            self.bytes = bytes
        }
    }

    public enum Resolution: Sendable {
        case microseconds, nanoseconds
        public var magic: UInt32 { self == .microseconds ? 0xA1B2_C3D4 : 0xA1B2_3C4D }
        /// Sub-second units per second.
        var perSecond: Int64 { self == .microseconds ? 1_000_000 : 1_000_000_000 }
    }

    /// LINKTYPE_RAW: raw IPv4 or IPv6.
    public static let linkTypeRaw: UInt32 = 101
    /// Length of the file header and of each record header.
    public static let fileHeaderLength = 24, recordHeaderLength = 16

    /// The whole file: the header, then one record per packet in the order given. Packets longer
    /// than `snapLength` are cut to it (the record keeps their original length). Times before
    /// zero are written as zero.
    public static func file(_ packets: [Packet], resolution: Resolution = .nanoseconds, snapLength: UInt32 = 262_144) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(fileHeaderLength + packets.reduce(0) { $0 + recordHeaderLength + $1.bytes.count })
        appendFileHeader(to: &out, resolution: resolution, snapLength: snapLength)
        for p in packets {
            p.bytes.withUnsafeBytes { appendRecord(time: p.time, bytes: $0, to: &out, resolution: resolution, snapLength: snapLength) }
        }
        return out
    }

    /// The 24-byte file header, for writers that stream records as packets come
    /// (`tcpkit tun --pcap`).
    public static func appendFileHeader(to out: inout [UInt8], resolution: Resolution = .nanoseconds, snapLength: UInt32 = 262_144) {
        append32(resolution.magic, to: &out)
        append16(2, to: &out)            // version 2.4
        append16(4, to: &out)
        append32(0, to: &out)            // thiszone: timestamps are UTC
        append32(0, to: &out)            // sigfigs
        append32(snapLength, to: &out)
        append32(linkTypeRaw, to: &out)
    }

    /// One record: its 16-byte header and the packet, cut to `snapLength`.
    public static func appendRecord(time: Instant, bytes: UnsafeRawBufferPointer, to out: inout [UInt8],
                                    resolution: Resolution = .nanoseconds, snapLength: UInt32 = 262_144) {
        let ns = max(0, time.nanoseconds)
        let fraction = (ns % 1_000_000_000) / (1_000_000_000 / resolution.perSecond)
        let kept = min(bytes.count, Int(snapLength))
        append32(UInt32(truncatingIfNeeded: ns / 1_000_000_000), to: &out)
        append32(UInt32(fraction), to: &out)
        append32(UInt32(kept), to: &out)
        append32(UInt32(truncatingIfNeeded: bytes.count), to: &out)
        out += UnsafeRawBufferPointer(rebasing: bytes[..<kept])
    }

    static func append16(_ v: UInt16, to out: inout [UInt8]) {
        out += [UInt8(v & 0xFF), UInt8(v >> 8)]
    }

    static func append32(_ v: UInt32, to out: inout [UInt8]) {
        append16(UInt16(v & 0xFFFF), to: &out)
        append16(UInt16(v >> 16), to: &out)
    }
}
