import TCPWire

/// SYN cookies (RFC 4987 §3.6): the ISN of our SYN-ACK encodes what the listener would otherwise
/// remember, so that a SYN costs no state and the third segment of the handshake can rebuild the
/// connection from the cookie it acknowledges.
///
/// The encoding is ours, after D. J. Bernstein's original layout (also what Linux's builds on):
///
///      31        27 26     24 23                                    0
///     +------------+---------+---------------------------------------+
///     |  t mod 32  |   MSS   |  H(key; local, remote, IRS, t, MSS)   |
///     +------------+---------+---------------------------------------+
///
/// - `t` counts 64-second periods of the driver's clock; a cookie is accepted while
///   `now`'s count is at most `maxAgePeriods` past its own (64 to 128 s: a handshake's ACK comes
///   one round trip after the SYN-ACK, and with no state there are no SYN-ACK retransmissions to
///   wait for). Because `t` sits in the top bits, cookies for one four-tuple grow with time, as
///   RFC 9293 §3.4.1 wants of ISNs.
/// - `MSS` indexes `mssTable`: the largest entry not above the MSS the SYN offered.
/// - `H` is SipHash-2-4 under a 128-bit secret, over both sockets, the peer's ISN (so an ACK must
///   also carry SEG.SEQ = IRS+1), `t` and the MSS index, truncated to 24 bits: a blind forger
///   succeeds once in 2^24 tries.
///
/// The secret rotates (RFC 4987 §3.6 leaves its management to the implementation; the idea is
/// FreeBSD's, which keeps two secrets and reseeds one every cookie lifetime, where Linux keeps one
/// for the life of the boot). Every `periodsPerSecret` consecutive periods of `t` — an *epoch*,
/// 128 s by default (`TCPConfiguration.synCookieRekeyInterval`, rounded up to whole 64-second
/// periods), the longest a cookie is valid — are signed with one secret, and the codec keeps two:
/// the current epoch's and the one before. `t` in the cookie names its period and so its epoch,
/// which is why no key-selector bit is needed. Both secrets are drawn from a generator seeded from
/// the stack's injected random source (the engine has none of its own), in a fixed order, so one
/// seed and one sequence of inputs give the same secrets every run. Rotation is driven by the
/// `now` the driver passes in: before a cookie is made or checked the codec moves to `now`'s
/// epoch — one epoch on, the current secret becomes the previous and a new one is drawn; further
/// on (no cookie was made in between), or back by more than one, both are replaced. So:
///   - a cookie made just before a rotation still checks within its lifetime: its period is
///     `now`'s or the one before, whose epochs are always kept;
///   - a cookie whose epoch is two or more behind can no longer be checked at all, and fails as
///     `invalid`: a secret is useless to anyone who learned it once its two epochs have passed,
///     and so is every cookie it signed (with the default, 128 to 256 s after it was made; in
///     between, an old cookie whose secret is still kept fails as `expired`).
///
/// What 32 bits cannot carry rides in the low 6 bits of our TSval when the SYN carried timestamps
/// (as Linux does): bits 0–3 the peer's window shift (15: none), bit 4 SACK-permitted, bit 5
/// ECN agreed (RFC 3168 §6.1.1: the SYN was an ECN-setup SYN and the SYN-ACK said yes). The ACK echoes it in TSecr. Without timestamps our SYN-ACK offers neither window
/// scaling nor SACK (RFC 7323 §2.2 and RFC 2018 §2 let us leave them out), so the connection
/// runs without them.
struct SYNCookieCodec {
    /// The 128-bit SipHash key one epoch's cookies are signed with.
    struct Secret: Equatable {
        var k0: UInt64
        var k1: UInt64
    }

    /// Counter periods signed with one secret (at least 1).
    let periodsPerSecret: Int64
    /// Where new secrets come from: the stack's `SecretSource` (the system's generator, or a
    /// seeded stream of its own, so rotations change none of the other values (ports) a seed gives).
    private var secretSource: SecretStream
    /// The epoch `current` signs: the periods `epoch · periodsPerSecret ..< (epoch + 1) · periodsPerSecret`.
    private(set) var epoch: Int64 = 0
    /// The secret of `epoch`, and the one of `epoch − 1`.
    private(set) var current: Secret
    private(set) var previous: Secret

    /// Secrets rotate every `rekeyInterval`, rounded up to whole periods of the time counter.
    /// The first secret (epoch 0, from the clock's zero) takes the source's first two values.
    init(secretSource: SecretStream, rekeyInterval: Duration) {
        periodsPerSecret = Self.periods(rekeyInterval: rekeyInterval)
        self.secretSource = secretSource
        let c = self.secretSource.nextKey(), p = self.secretSource.nextKey()
        current = Secret(k0: c.k0, k1: c.k1)
        previous = Secret(k0: p.k0, k1: p.k1)
    }

    /// Secrets from a seeded stream (reproducible; tests).
    init(secretSource: StackRandom, rekeyInterval: Duration) {
        self.init(secretSource: SecretStream(seeded: secretSource), rekeyInterval: rekeyInterval)
    }

    /// Whole counter periods in `rekeyInterval`, rounded up; at least 1.
    static func periods(rekeyInterval: Duration) -> Int64 {
        let (seconds, attoseconds) = rekeyInterval.components
        guard seconds >= 0 else { return 1 }
        let periodSeconds = periodNanoseconds / 1_000_000_000
        let whole = seconds / periodSeconds
        return max(1, whole + (seconds % periodSeconds > 0 || attoseconds > 0 ? 1 : 0))
    }

    /// The epoch of counter value `t` (floor division).
    func epoch(ofCounter t: Int64) -> Int64 {
        t >= 0 ? t / periodsPerSecret : -((-t + periodsPerSecret - 1) / periodsPerSecret)
    }

    private mutating func drawSecret() -> Secret {
        let k = secretSource.nextKey()
        return Secret(k0: k.k0, k1: k.k1)
    }

    /// Moves to the epoch of counter value `t`: nothing if it is the current or the previous
    /// one; the next one retires the previous secret; any other (time jumped, or went back)
    /// replaces both, previous drawn first.
    mutating func rotate(toCounter t: Int64) {
        let e = epoch(ofCounter: t)
        if e == epoch || e == epoch - 1 { return }
        previous = e == epoch + 1 ? current : drawSecret()
        current = drawSecret()
        epoch = e
    }

    /// The secret kept for counter value `t`'s epoch; nil when it has been retired.
    func secret(forCounter t: Int64) -> Secret? {
        switch epoch(ofCounter: t) {
        case epoch: current
        case epoch - 1: previous
        default: nil
        }
    }

    /// Length of one period of the time counter.
    static let periodNanoseconds: Int64 = 64_000_000_000
    /// Periods a cookie stays valid after the one it was made in.
    static let maxAgePeriods: Int64 = 1
    /// How long after sending a cookie the listener checks ACKs for one (Linux checks only while
    /// it has sent cookies recently, `tcp_synq_no_recent_overflow`).
    static let lifetime: Duration = .nanoseconds(periodNanoseconds * (maxAgePeriods + 1))
    /// MSS values a cookie can name, rounding the peer's MSS down: 536 and 1220 are RFC 9293
    /// §3.7.1's defaults for IPv4 and IPv6, 1440 and 1460 Ethernet's with IPv6 and IPv4, 1400 and
    /// 1300 common tunnel values, 8960 jumbo frames, 64 the engine's floor.
    static let mssTable: [UInt16] = [64, 536, 1220, 1300, 1400, 1440, 1460, 8960]

    /// The time counter at `now` (floor division: periods are counted from the clock's zero).
    static func counter(_ now: Instant) -> Int64 {
        let n = now.nanoseconds
        return n >= 0 ? n / periodNanoseconds : (n - (periodNanoseconds - 1)) / periodNanoseconds
    }

    /// The table index for a peer that offered `mss`: the largest entry not above it.
    static func mssIndex(forPeerMSS mss: Int) -> Int {
        var k = mssTable.count - 1
        while k > 0 && Int(mssTable[k]) > mss { k -= 1 }
        return k
    }

    /// The 24-bit signature of a cookie's inputs under `secret`.
    static func hash(_ secret: Secret, local: SocketAddress, remote: SocketAddress, irs: SequenceNumber, counter: Int64, mssIndex: Int) -> UInt32 {
        var h = SipHash24(k0: secret.k0, k1: secret.k1)
        func add(_ a: IPAddress) {
            switch a {
            case .v4(let v): h.add(v.rawValue)
            case .v6(let v): h.add(v.high); h.add(v.low)
            }
        }
        add(local.address)
        h.add(local.port)
        add(remote.address)
        h.add(remote.port)
        h.add(irs.rawValue)
        h.add(UInt64(bitPattern: counter))
        h.add(byte: UInt8(mssIndex))
        return UInt32(truncatingIfNeeded: h.finalize()) & 0x00FF_FFFF
    }

    /// The cookie for a SYN with sequence number `irs` arriving at `now`, signed with the secret
    /// of `now`'s epoch (rotating first if `now` has moved into another).
    mutating func cookie(local: SocketAddress, remote: SocketAddress, irs: SequenceNumber, mssIndex: Int, now: Instant) -> SequenceNumber {
        let t = Self.counter(now)
        rotate(toCounter: t)
        // After the rotation `t`'s epoch is the current one, or the previous if time went back by less than an epoch.
        let secret = epoch(ofCounter: t) == epoch ? current : previous
        let top = UInt32(truncatingIfNeeded: t & 31) << 27 | UInt32(mssIndex & 7) << 24
        return SequenceNumber(top | Self.hash(secret, local: local, remote: remote, irs: irs, counter: t, mssIndex: mssIndex))
    }

    enum Check: Equatable {
        case valid(mssIndex: Int)
        /// Ours, but made more than `maxAgePeriods` periods ago.
        case expired
        /// Not a cookie we made for this four-tuple and IRS, or one whose secret has been
        /// retired (nothing can tell it from a forgery any more).
        case invalid
    }

    /// Checks the cookie an ACK returns (SEG.ACK − 1) against its four-tuple and IRS (SEG.SEQ − 1),
    /// rotating first if `now` has moved into another epoch.
    mutating func check(_ cookie: SequenceNumber, local: SocketAddress, remote: SocketAddress, irs: SequenceNumber, now: Instant) -> Check {
        let v = cookie.rawValue
        let now = Self.counter(now)
        rotate(toCounter: now)
        // The period the cookie names: the latest one at or before now with the same low 5 bits.
        let age = (now - Int64(v >> 27)) & 31
        let index = Int(v >> 24 & 7)
        // Periods `now` and `now − 1` are always in a kept epoch, so a cookie young enough to be
        // valid always finds its secret.
        guard let secret = secret(forCounter: now - age),
              Self.hash(secret, local: local, remote: remote, irs: irs, counter: now - age, mssIndex: index) == v & 0x00FF_FFFF
        else { return .invalid }
        return age <= Self.maxAgePeriods ? .valid(mssIndex: index) : .expired
    }

    // MARK: Options in the timestamp

    static let optionMask: UInt32 = 0x3F
    static let noWindowScale: UInt32 = 0xF

    /// The low TSval bits for the peer's window shift (nil: none), SACK-permitted and ECN.
    static func optionBits(peerShift: UInt8?, sack: Bool, ecn: Bool = false) -> UInt32 {
        (peerShift.map { UInt32(min($0, 14)) } ?? noWindowScale) | (sack ? 0x10 : 0) | (ecn ? 0x20 : 0)
    }

    /// The options an echoed TSval carries.
    static func options(fromEcho echo: UInt32) -> (peerShift: UInt8?, sack: Bool, ecn: Bool)? {
        let bits = echo & optionMask
        let shift = bits & 0xF
        return (shift == noWindowScale ? nil : UInt8(shift), bits & 0x10 != 0, bits & 0x20 != 0)
    }

    /// Our TSval `now` with its low bits replaced by `bits`, never later than `now`: the
    /// connection's clock then never goes back (RFC 7323 §5.4 wants it monotonic).
    static func timestampValue(_ now: UInt32, bits: UInt32) -> UInt32 {
        var v = (now & ~optionMask) | bits
        if Int32(bitPattern: v &- now) > 0 { v &-= optionMask + 1 }
        return v
    }
}
