// Guessable secrets (issue 18 §1): the RFC 6528 ISN key, the SYN cookies' secrets (RFC 4987 §3.6)
// and every rotation of them, and the drawn Fast Open key come from the stack's `SecretSource`.
// Seeded (simulator, scripts, --seed) they follow from the 64-bit seed, so a model of the
// generator that has recovered its state from the ports seen on the wire predicts every ISN and
// cookie; from the system (the default) they are fresh 128-bit draws that nothing observable
// determines. The attacker here is stronger than a real one: it is handed the seed itself.

import Testing
import TCPWire
@testable import TCPCore

@Suite("Secrets: from the system unless seeded (issue 18, guessable secrets)")
struct SecretSourceTests {
    typealias Key = (k0: UInt64, k1: UInt64)

    /// What the wire shows of a stack: the local ports and ISNs of `count` connections it opened.
    struct Observed: Equatable { var ports: [UInt16]; var isns: [SequenceNumber] }

    static let seed: UInt64 = 0x5EC2_E75E_ED00_0001
    static let remotes = (0..<6).map { SocketAddress(IPAddress.v4(IPv4Address(198, 18, 1, UInt8(1 + $0))), 443) }

    static func stack(_ secrets: SecretSource, seed: UInt64 = seed) -> TCPStack {
        var rng = SplitMix64(seed: seed)
        return TCPStack(addresses: [ourIP], random: &rng, secrets: secrets)
    }

    /// Opens a connection to each of the first `count` remotes, one a second, and reads what a
    /// peer sees: the source port and the ISN of each SYN.
    static func observe(_ stack: inout TCPStack, count: Int = 4) throws -> Observed {
        var o = Observed(ports: [], isns: [])
        for (i, remote) in remotes.prefix(count).enumerated() {
            let id = try stack.connect(to: remote, now: .seconds(Double(i)))
            let info = try #require(stack.info(of: id))
            o.ports.append(info.local.port)
            o.isns.append(info.iss)
        }
        return o
    }

    /// The attacker's model of the generator, given the value the stack drew from its injected
    /// generator (the worst case: the port generator's whole state recovered). It knows the
    /// design: the port stream after the two values of the ISN key, the cookie and Fast Open
    /// streams seeded from the same value.
    struct Model {
        var ports: StackRandom
        let isnKey: Key
        var cookies: StackRandom
        let fastOpenKey: Key

        init(injectedSeed s: UInt64) {
            var g = SplitMix64(seed: s)
            let drawn = g.next()
            ports = StackRandom(seed: drawn)
            isnKey = (ports.next(), ports.next())
            cookies = StackRandom(seed: drawn ^ 0x5359_4E43_4F4F_4B49)
            var f = StackRandom(seed: drawn ^ 0x5446_4F4B_4559_0000)
            fastOpenKey = (f.next(), f.next())
        }

        mutating func nextPort(_ range: ClosedRange<UInt16> = TCPConfiguration().ephemeralPorts) -> UInt16 {
            let size = UInt64(range.upperBound - range.lowerBound) + 1
            return range.lowerBound + UInt16(ports.next() % size)
        }
        mutating func nextCookieSecret() -> SYNCookieCodec.Secret { SYNCookieCodec.Secret(k0: cookies.next(), k1: cookies.next()) }
        func isn(local: SocketAddress, remote: SocketAddress, now: Instant) -> SequenceNumber {
            ISNGenerator(k0: isnKey.k0, k1: isnKey.k1).isn(local: local, remote: remote, now: now)
        }
    }

    static func isnKey(_ s: TCPStack) -> Key { (s.isnGenerator.k0, s.isnGenerator.k1) }
    static func same(_ a: Key, _ b: Key) -> Bool { a.k0 == b.k0 && a.k1 == b.k1 }
    /// Both 64-bit halves differ: each half is a draw of its own.
    static func apart(_ a: Key, _ b: Key) -> Bool { a.k0 != b.k0 && a.k1 != b.k1 }
    static func key(_ s: SYNCookieCodec.Secret) -> Key { (s.k0, s.k1) }
    static func key(_ k: FastOpenKey) -> Key { (k.k0, k.k1) }

    /// Rotates the stack's cookie secrets `epochs` epochs on (as making or checking a cookie at
    /// that time does) and returns the new current secret.
    static func rotate(_ s: inout TCPStack, toEpoch e: Int64) -> SYNCookieCodec.Secret {
        s.synCookies.rotate(toCounter: e * s.synCookies.periodsPerSecret)
        return s.synCookies.current
    }

    @Test("every secret is 128 bits of key")
    func keySizes() {
        #expect(MemoryLayout<SYNCookieCodec.Secret>.size * 8 == 128)
        #expect(MemoryLayout<ISNGenerator>.size * 8 == 128)
        #expect(MemoryLayout<FastOpenKey>.size * 8 == 128)
        // Each half of each key is drawn on its own: no half is fixed or copies the other.
        let a = Self.stack(.system), b = Self.stack(.system)
        #expect(Self.apart(Self.isnKey(a), Self.isnKey(b)))
        #expect(Self.apart(Self.key(a.synCookies.current), Self.key(b.synCookies.current)))
        #expect(Self.apart(Self.key(a.synCookies.previous), Self.key(b.synCookies.previous)))
        #expect(Self.apart(Self.key(a.fastOpenKey), Self.key(b.fastOpenKey)))
    }

    @Test("seeded (the control): a model of the generator with its seed predicts ports, ISNs, every cookie secret and the Fast Open key")
    func seededIsPredictable() throws {
        var s = Self.stack(.seeded)
        var model = Model(injectedSeed: Self.seed)
        let seen = try Self.observe(&s)
        #expect(seen.ports == (0..<4).map { _ in model.nextPort() })
        #expect(Self.same(Self.isnKey(s), model.isnKey))
        for (i, remote) in Self.remotes.prefix(4).enumerated() {
            let local = SocketAddress(ourIP, seen.ports[i])
            #expect(seen.isns[i] == model.isn(local: local, remote: remote, now: .seconds(Double(i))))
        }
        // The next connection's ISN, before it is made.
        let port = model.nextPort(), remote = Self.remotes[4]
        let predicted = model.isn(local: SocketAddress(ourIP, port), remote: remote, now: .seconds(9))
        let id = try s.connect(to: remote, now: .seconds(9))
        let next = try #require(s.info(of: id))
        #expect(next.local.port == port && next.iss == predicted)
        // The cookie secrets: the first two, then each rotation's.
        #expect(s.synCookies.current == model.nextCookieSecret())
        #expect(s.synCookies.previous == model.nextCookieSecret())
        for e in Int64(1)...3 {
            let rotated = Self.rotate(&s, toEpoch: e)
            #expect(rotated == model.nextCookieSecret(), "epoch \(e)")
        }
        #expect(Self.same(Self.key(s.fastOpenKey), model.fastOpenKey))
    }

    @Test("from the system: the same model, exact about the ports, predicts no ISN, no cookie secret, no rotation and no Fast Open key")
    func systemIsNotPredictable() throws {
        var s = Self.stack(.system)
        var model = Model(injectedSeed: Self.seed)
        let seen = try Self.observe(&s)
        // The ports are the injected generator's, as before: the model knows them exactly.
        #expect(seen.ports == (0..<4).map { _ in model.nextPort() })
        // Nothing keyed follows from them.
        #expect(!Self.same(Self.isnKey(s), model.isnKey))
        let modelISNs = Self.remotes.prefix(4).enumerated().map { i, remote in
            model.isn(local: SocketAddress(ourIP, seen.ports[i]), remote: remote, now: .seconds(Double(i)))
        }
        #expect(seen.isns != modelISNs)
        let port = model.nextPort(), remote = Self.remotes[4]
        let predicted = model.isn(local: SocketAddress(ourIP, port), remote: remote, now: .seconds(9))
        let id = try s.connect(to: remote, now: .seconds(9))
        let next = try #require(s.info(of: id))
        #expect(next.local.port == port, "the port is still the model's")
        #expect(next.iss != predicted)
        // Neither the cookie streams of the model nor the next values of the port stream (a
        // design that drew secrets and ports from one generator) give a cookie secret.
        var portStream = model.ports
        var fromPorts: [SYNCookieCodec.Secret] = (0..<8).map { _ in SYNCookieCodec.Secret(k0: portStream.next(), k1: portStream.next()) }
        var fromCookies: [SYNCookieCodec.Secret] = (0..<8).map { _ in model.nextCookieSecret() }
        var secrets = [s.synCookies.current, s.synCookies.previous]
        for e in Int64(1)...3 { secrets.append(Self.rotate(&s, toEpoch: e)) }
        // Consecutive pairs of the model's outputs too (an off-by-one in the model).
        fromPorts += (0..<7).map { SYNCookieCodec.Secret(k0: fromPorts[$0].k1, k1: fromPorts[$0 + 1].k0) }
        fromCookies += (0..<7).map { SYNCookieCodec.Secret(k0: fromCookies[$0].k1, k1: fromCookies[$0 + 1].k0) }
        for secret in secrets {
            #expect(!fromPorts.contains(secret) && !fromCookies.contains(secret))
        }
        #expect(Set(secrets.map { [$0.k0, $0.k1] }).count == secrets.count, "every rotation a fresh secret")
        #expect(!Self.same(Self.key(s.fastOpenKey), model.fastOpenKey))
    }

    @Test("two stacks with identical port generators see the same ports and get different secrets")
    func identicalPortGenerators() throws {
        var a = Self.stack(.system), b = Self.stack(.system)
        let seenA = try Self.observe(&a), seenB = try Self.observe(&b)
        #expect(seenA.ports == seenB.ports)
        #expect(seenA.isns != seenB.isns, "the same 4-tuples at the same times, other ISNs")
        #expect(Self.apart(Self.isnKey(a), Self.isnKey(b)))
        #expect(a.synCookies.current != b.synCookies.current && a.synCookies.previous != b.synCookies.previous)
        for e in Int64(1)...3 {
            let ra = Self.rotate(&a, toEpoch: e), rb = Self.rotate(&b, toEpoch: e)
            #expect(ra != rb, "epoch \(e)")
        }
        #expect(Self.apart(Self.key(a.fastOpenKey), Self.key(b.fastOpenKey)))
        // Seeded, the same two stacks are twins: their secrets are functions of the seed.
        var c = Self.stack(.seeded), d = Self.stack(.seeded)
        let seenC = try Self.observe(&c), seenD = try Self.observe(&d)
        #expect(seenC == seenD)
        #expect(Self.same(Self.isnKey(c), Self.isnKey(d)) && c.synCookies.current == d.synCookies.current)
        for e in Int64(1)...3 {
            let rc = Self.rotate(&c, toEpoch: e), rd = Self.rotate(&d, toEpoch: e)
            #expect(rc == rd, "epoch \(e)")
        }
        #expect(c.fastOpenKey == d.fastOpenKey)
    }

    @Test("a seeded stack gives the same ports as a system one made from the same generator")
    func portsIndependentOfSecrets() throws {
        var seeded = Self.stack(.seeded), system = Self.stack(.system)
        let a = try Self.observe(&seeded, count: 6), b = try Self.observe(&system, count: 6)
        #expect(a.ports == b.ports)
    }
}
