/// The eight TCP control bits (RFC 9293 §3.1; CWR and ECE from RFC 3168).
public struct TCPFlags: OptionSet, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let fin = TCPFlags(rawValue: 0x01)
    public static let syn = TCPFlags(rawValue: 0x02)
    public static let rst = TCPFlags(rawValue: 0x04)
    public static let psh = TCPFlags(rawValue: 0x08)
    public static let ack = TCPFlags(rawValue: 0x10)
    public static let urg = TCPFlags(rawValue: 0x20)
    public static let ece = TCPFlags(rawValue: 0x40)
    public static let cwr = TCPFlags(rawValue: 0x80)

    /// Names in the order tcpdump prints them: SYN, FIN, RST, PSH, ACK, URG, ECE, CWR.
    public var names: [String] {
        var out: [String] = []
        if contains(.syn) { out.append("SYN") }
        if contains(.fin) { out.append("FIN") }
        if contains(.rst) { out.append("RST") }
        if contains(.psh) { out.append("PSH") }
        if contains(.ack) { out.append("ACK") }
        if contains(.urg) { out.append("URG") }
        if contains(.ece) { out.append("ECE") }
        if contains(.cwr) { out.append("CWR") }
        return out
    }
    public var description: String { names.isEmpty ? "none" : names.joined(separator: ",") }
}

/// RFC 7323 §3 timestamps option.
public struct TCPTimestamp: Hashable, Sendable {
    public var value: UInt32
    public var echoReply: UInt32
    @inlinable public init(value: UInt32, echoReply: UInt32) { self.value = value; self.echoReply = echoReply }
}

/// A SACK block (RFC 2018 §3): the left edge and the sequence number just past the right edge.
public struct SACKBlock: Hashable, Sendable {
    public var left: SequenceNumber
    public var right: SequenceNumber
    @inlinable public init(left: SequenceNumber, right: SequenceNumber) { self.left = left; self.right = right }
}

/// Up to four SACK blocks stored inline (no allocation; 40 bytes of options hold at most four).
public struct SACKBlocks: Hashable, Sendable, RandomAccessCollection {
    public private(set) var count: Int = 0
    private var b0 = SACKBlock(left: .init(0), right: .init(0))
    private var b1 = SACKBlock(left: .init(0), right: .init(0))
    private var b2 = SACKBlock(left: .init(0), right: .init(0))
    private var b3 = SACKBlock(left: .init(0), right: .init(0))
    public static let capacity = 4
    public init() {}
    public init(_ blocks: [SACKBlock]) { for b in blocks.prefix(4) { append(b) } }
    public var startIndex: Int { 0 }
    public var endIndex: Int { count }
    public subscript(i: Int) -> SACKBlock {
        precondition(i >= 0 && i < count, "SACK block index out of range")
        switch i { case 0: return b0; case 1: return b1; case 2: return b2; default: return b3 }
    }
    /// Appends a block; returns false (and keeps the list) when four are already stored.
    @discardableResult public mutating func append(_ b: SACKBlock) -> Bool {
        switch count {
        case 0: b0 = b
        case 1: b1 = b
        case 2: b2 = b
        case 3: b3 = b
        default: return false
        }
        count += 1
        return true
    }
    public static func == (l: SACKBlocks, r: SACKBlocks) -> Bool { l.elementsEqual(r) }
    public func hash(into h: inout Hasher) { h.combine(count); for b in self { h.combine(b) } }
}

/// The TCP options TCPKit understands (RFC 9293 §3.2, RFC 7323, RFC 2018). Unknown options are
/// skipped by their length when parsing and counted in `unknownCount`.
public struct TCPOptions: Hashable, Sendable {
    /// Maximum segment size (kind 2), only meaningful on SYN segments.
    public var mss: UInt16?
    /// Window scale shift count (kind 3), RFC 7323 §2.
    public var windowScale: UInt8?
    /// SACK-permitted (kind 4), RFC 2018 §2.
    public var sackPermitted: Bool = false
    /// Timestamps (kind 8), RFC 7323 §3.
    public var timestamp: TCPTimestamp?
    /// SACK blocks (kind 5), RFC 2018 §3.
    public var sackBlocks = SACKBlocks()
    /// Options of other kinds seen while parsing (skipped by their length).
    public var unknownCount: Int = 0

    public init(mss: UInt16? = nil, windowScale: UInt8? = nil, sackPermitted: Bool = false,
                timestamp: TCPTimestamp? = nil, sackBlocks: SACKBlocks = SACKBlocks()) {
        self.mss = mss
        self.windowScale = windowScale
        self.sackPermitted = sackPermitted
        self.timestamp = timestamp
        self.sackBlocks = sackBlocks
    }

    public var isEmpty: Bool {
        mss == nil && windowScale == nil && !sackPermitted && timestamp == nil && sackBlocks.isEmpty
    }

    /// Bytes these options take when emitted, padded to a multiple of four.
    public var encodedLength: Int {
        var n = 0
        if mss != nil { n += 4 }
        if windowScale != nil { n += 4 }          // NOP + 3 bytes
        if sackPermitted && timestamp != nil { n += 12 }  // SACK-permitted(2) + TS(10), as Linux packs them
        else {
            if sackPermitted { n += 4 }            // NOP NOP + 2
            if timestamp != nil { n += 12 }        // NOP NOP + 10
        }
        if !sackBlocks.isEmpty { n += 2 + 2 + 8 * sackBlocks.count }  // NOP NOP + kind,len + blocks
        return n
    }
}

/// A TCP header as a value (RFC 9293 §3.1). `dataOffset` is derived from the options on emit;
/// on parse it is the value read.
public struct TCPHeader: Hashable, Sendable {
    public var sourcePort: UInt16
    public var destinationPort: UInt16
    public var sequenceNumber: SequenceNumber
    public var acknowledgmentNumber: SequenceNumber
    /// Header length in 32-bit words as read (5...15). Ignored by `emit`, which computes it.
    public var dataOffset: UInt8
    public var flags: TCPFlags
    public var window: UInt16
    /// As read from the wire; `emit` writes the computed checksum instead.
    public var checksum: UInt16
    public var urgentPointer: UInt16
    public var options: TCPOptions

    public init(sourcePort: UInt16, destinationPort: UInt16, sequenceNumber: SequenceNumber,
                acknowledgmentNumber: SequenceNumber, flags: TCPFlags, window: UInt16,
                urgentPointer: UInt16 = 0, options: TCPOptions = TCPOptions()) {
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.sequenceNumber = sequenceNumber
        self.acknowledgmentNumber = acknowledgmentNumber
        self.dataOffset = 5
        self.flags = flags
        self.window = window
        self.checksum = 0
        self.urgentPointer = urgentPointer
        self.options = options
    }

    /// Bytes `emit` writes: 20 plus the padded options.
    public var encodedLength: Int { 20 + options.encodedLength }

    /// Reads a header (with options) from the front of `bytes`, which hold the whole TCP segment.
    /// Returns the header and its length in bytes; the payload is `bytes[length...]`.
    /// Checks: at least 20 bytes; 5 <= data offset and offset*4 <= bytes.count; option lengths.
    public static func parse(_ bytes: UnsafeRawBufferPointer) throws(WireError) -> (header: TCPHeader, length: Int) {
        guard bytes.count >= 20 else { throw .truncated(layer: .tcp, needed: 20, available: bytes.count) }
        let offsetWords = Int(bytes[12] >> 4)
        let headerLength = offsetWords * 4
        guard offsetWords >= 5 else { throw .badDataOffset(offsetWords) }
        guard headerLength <= bytes.count else { throw .badDataOffset(offsetWords) }
        var h = TCPHeader(
            sourcePort: bytes.loadBE16(0), destinationPort: bytes.loadBE16(2),
            sequenceNumber: SequenceNumber(bytes.loadBE32(4)),
            acknowledgmentNumber: SequenceNumber(bytes.loadBE32(8)),
            flags: TCPFlags(rawValue: bytes[13]), window: bytes.loadBE16(14),
            urgentPointer: bytes.loadBE16(18))
        h.dataOffset = UInt8(offsetWords)
        h.checksum = bytes.loadBE16(16)
        h.options = try TCPOptions.parse(UnsafeRawBufferPointer(rebasing: bytes[20..<headerLength]))
        return (h, headerLength)
    }

    /// Writes the header and options into the front of `buffer` with checksum field zero.
    /// Returns the bytes written (`encodedLength`).
    public func emit(into buffer: UnsafeMutableRawBufferPointer) throws(WireError) -> Int {
        let optionLength = options.encodedLength
        guard optionLength <= 40 else { throw .optionsTooLong(optionLength) }
        let length = 20 + optionLength
        guard buffer.count >= length else { throw .bufferTooSmall(needed: length, available: buffer.count) }
        buffer.storeBE16(sourcePort, at: 0)
        buffer.storeBE16(destinationPort, at: 2)
        buffer.storeBE32(sequenceNumber.rawValue, at: 4)
        buffer.storeBE32(acknowledgmentNumber.rawValue, at: 8)
        buffer[12] = UInt8(length / 4) << 4
        buffer[13] = flags.rawValue
        buffer.storeBE16(window, at: 14)
        buffer.storeBE16(0, at: 16)
        buffer.storeBE16(urgentPointer, at: 18)
        options.write(into: UnsafeMutableRawBufferPointer(rebasing: buffer[20..<length]))
        return length
    }
}

extension TCPOptions {
    /// Parses the option bytes between the fixed header and the data (RFC 9293 §3.2).
    /// EOL ends the list; NOP is skipped; every other kind must have a length byte >= 2 that stays
    /// inside the header. Known kinds with a wrong length are skipped like unknown ones (as Linux does).
    public static func parse(_ bytes: UnsafeRawBufferPointer) throws(WireError) -> TCPOptions {
        var o = TCPOptions()
        var i = 0
        while i < bytes.count {
            let kind = bytes[i]
            if kind == 0 { break }            // End of option list
            if kind == 1 { i += 1; continue } // No-operation
            guard i + 1 < bytes.count else { throw .badOptionLength(kind: kind, length: -1) }
            let length = Int(bytes[i + 1])
            guard length >= 2, i + length <= bytes.count else { throw .badOptionLength(kind: kind, length: length) }
            switch (kind, length) {
            case (2, 4): o.mss = bytes.loadBE16(i + 2)
            case (3, 3): o.windowScale = bytes[i + 2]
            case (4, 2): o.sackPermitted = true
            case (5, _) where length >= 10 && (length - 2) % 8 == 0 && length <= 34:
                var blocks = SACKBlocks()
                var j = i + 2
                while j + 8 <= i + length {
                    blocks.append(SACKBlock(left: SequenceNumber(bytes.loadBE32(j)), right: SequenceNumber(bytes.loadBE32(j + 4))))
                    j += 8
                }
                o.sackBlocks = blocks
            case (8, 10): o.timestamp = TCPTimestamp(value: bytes.loadBE32(i + 2), echoReply: bytes.loadBE32(i + 6))
            default: o.unknownCount += 1
            }
            i += length
        }
        return o
    }

    /// Writes the options in the layout Linux uses (MSS, SACK-permitted+TS packed, NOP-padded
    /// window scale, NOP-padded SACK blocks). `buffer.count` must equal `encodedLength`.
    func write(into b: UnsafeMutableRawBufferPointer) {
        var i = 0
        if let mss {
            b[i] = 2; b[i + 1] = 4; b.storeBE16(mss, at: i + 2); i += 4
        }
        if sackPermitted, let ts = timestamp {
            b[i] = 4; b[i + 1] = 2; b[i + 2] = 8; b[i + 3] = 10
            b.storeBE32(ts.value, at: i + 4); b.storeBE32(ts.echoReply, at: i + 8); i += 12
        } else if let ts = timestamp {
            b[i] = 1; b[i + 1] = 1; b[i + 2] = 8; b[i + 3] = 10
            b.storeBE32(ts.value, at: i + 4); b.storeBE32(ts.echoReply, at: i + 8); i += 12
        } else if sackPermitted {
            b[i] = 1; b[i + 1] = 1; b[i + 2] = 4; b[i + 3] = 2; i += 4
        }
        if let ws = windowScale {
            b[i] = 1; b[i + 1] = 3; b[i + 2] = 3; b[i + 3] = ws; i += 4
        }
        if !sackBlocks.isEmpty {
            b[i] = 1; b[i + 1] = 1; b[i + 2] = 5; b[i + 3] = UInt8(2 + 8 * sackBlocks.count); i += 4
            for block in sackBlocks {
                b.storeBE32(block.left.rawValue, at: i); b.storeBE32(block.right.rawValue, at: i + 4); i += 8
            }
        }
        while i < b.count { b[i] = 0; i += 1 }
    }
}

// Big-endian loads and stores on raw buffers; callers have checked the bounds.
extension UnsafeRawBufferPointer {
    func loadBE16(_ offset: Int) -> UInt16 {
        UInt16(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }
    func loadBE32(_ offset: Int) -> UInt32 {
        UInt32(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }
}
extension UnsafeMutableRawBufferPointer {
    func storeBE16(_ v: UInt16, at offset: Int) { storeBytes(of: v.bigEndian, toByteOffset: offset, as: UInt16.self) }
    func storeBE32(_ v: UInt32, at offset: Int) { storeBytes(of: v.bigEndian, toByteOffset: offset, as: UInt32.self) }
    func loadBE16(_ offset: Int) -> UInt16 { UnsafeRawBufferPointer(self).loadBE16(offset) }
}
