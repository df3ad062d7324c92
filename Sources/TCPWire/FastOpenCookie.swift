/// A TCP Fast Open cookie (RFC 7413 §4.1.1): 4 to 16 bytes, or none (an empty option, the
/// client's cookie request). Held inline (two words and a length), so that options carrying one
/// allocate nothing.
public struct FastOpenCookie: Hashable, Sendable, CustomStringConvertible {
    /// The bytes in wire order: byte i is bits 8i..8i+7 of `low` (i < 8) or of `high`.
    public private(set) var low: UInt64 = 0
    public private(set) var high: UInt64 = 0
    /// Number of bytes, 0...16.
    public private(set) var count: Int = 0

    /// The empty cookie of a cookie request.
    public init() {}

    /// A cookie of up to 16 bytes (nil when longer).
    public init?(_ bytes: some Collection<UInt8>) {
        guard bytes.count <= 16 else { return nil }
        for b in bytes { append(b) }
    }

    /// Adds a byte at the end (ignored past 16 bytes).
    public mutating func append(_ b: UInt8) {
        guard count < 16 else { return }
        count += 1
        self[count - 1] = b
    }

    /// A cookie of `count` bytes from an 8-byte little-endian value (Linux's `__le64` cookies).
    public init(littleEndian value: UInt64) {
        low = value
        count = 8
    }

    public var isEmpty: Bool { count == 0 }

    public subscript(i: Int) -> UInt8 {
        get { i < 8 ? UInt8(truncatingIfNeeded: low >> (8 * UInt64(i))) : UInt8(truncatingIfNeeded: high >> (8 * UInt64(i - 8))) }
        set {
            if i < 8 {
                let s = 8 * UInt64(i)
                low = (low & ~(0xff << s)) | UInt64(newValue) << s
            } else {
                let s = 8 * UInt64(i - 8)
                high = (high & ~(0xff << s)) | UInt64(newValue) << s
            }
        }
    }

    public var bytes: [UInt8] { (0..<count).map { self[$0] } }

    /// Lower-case hex, as packetdrill writes cookies.
    public var description: String {
        let digits = Array("0123456789abcdef")
        var s = ""
        for i in 0..<count { s.append(digits[Int(self[i] >> 4)]); s.append(digits[Int(self[i] & 15)]) }
        return s
    }
}

/// The Fast Open option of a SYN or SYN-ACK: kind 34 (RFC 7413 §4.1.1) or the experimental
/// kind 254 with magic 0xF989 (RFC 6994) that Linux still accepts and answers in kind.
public struct FastOpenOption: Hashable, Sendable {
    public var cookie: FastOpenCookie
    /// Kind 254 + magic 0xF989 rather than kind 34.
    public var experimental: Bool

    public init(cookie: FastOpenCookie = FastOpenCookie(), experimental: Bool = false) {
        self.cookie = cookie
        self.experimental = experimental
    }

    /// RFC 6994 magic number of the experimental Fast Open option.
    public static let experimentalMagic: UInt16 = 0xF989

    /// Bytes on the wire before padding: kind, length (and the magic), the cookie.
    var length: Int { (experimental ? 4 : 2) + cookie.count }
    /// Padded to four bytes with NOPs after it (as Linux writes it).
    var paddedLength: Int { (length + 3) & ~3 }
}
