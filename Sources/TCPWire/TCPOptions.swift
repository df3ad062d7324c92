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
    /// TCP Fast Open (kind 34, or 254 with magic 0xF989; RFC 7413 §4.1.1), only meaningful on
    /// SYN segments. An empty cookie is a cookie request.
    public var fastOpen: FastOpenOption?

    public init(mss: UInt16? = nil, windowScale: UInt8? = nil, sackPermitted: Bool = false,
                timestamp: TCPTimestamp? = nil, sackBlocks: SACKBlocks = SACKBlocks()) {
        self.mss = mss
        self.windowScale = windowScale
        self.sackPermitted = sackPermitted
        self.timestamp = timestamp
        self.sackBlocks = sackBlocks
    }

    public var isEmpty: Bool {
        mss == nil && windowScale == nil && !sackPermitted && timestamp == nil && sackBlocks.isEmpty && fastOpen == nil
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
        if let fo = fastOpen { n += fo.paddedLength }
        return n
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
            // RFC 7413 §4.1.1: an empty option (request) or a cookie of 4 to 16 bytes; Linux
            // also takes only even lengths (tcp_parse_fastopen_option). Others are skipped.
            case (34, _) where Self.fastOpenCookieLength(length - 2):
                o.fastOpen = FastOpenOption(cookie: Self.cookie(bytes, from: i + 2, count: length - 2))
            case (254, _) where length >= 4 && bytes.loadBE16(i + 2) == FastOpenOption.experimentalMagic
                                && Self.fastOpenCookieLength(length - 4):
                o.fastOpen = FastOpenOption(cookie: Self.cookie(bytes, from: i + 4, count: length - 4), experimental: true)
            default: o.unknownCount += 1
            }
            i += length
        }
        return o
    }

    static func fastOpenCookieLength(_ n: Int) -> Bool { n == 0 || (n >= 4 && n <= 16 && n % 2 == 0) }

    static func cookie(_ bytes: UnsafeRawBufferPointer, from start: Int, count: Int) -> FastOpenCookie {
        var c = FastOpenCookie()
        for k in 0..<count { c.append(bytes[start + k]) }
        return c
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
        if let fo = fastOpen {
            // After the window scale, NOP-padded behind (Linux's tcp_options_write).
            b[i] = fo.experimental ? 254 : 34; b[i + 1] = UInt8(fo.length)
            if fo.experimental { b.storeBE16(FastOpenOption.experimentalMagic, at: i + 2) }
            var j = i + (fo.experimental ? 4 : 2)
            for k in 0..<fo.cookie.count { b[j] = fo.cookie[k]; j += 1 }
            while j < i + fo.paddedLength { b[j] = 1; j += 1 }
            i = j
        }
        while i < b.count { b[i] = 0; i += 1 }
    }
}
