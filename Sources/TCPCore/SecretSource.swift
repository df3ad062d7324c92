import TCPWire

/// Where a stack's secrets come from: the RFC 6528 ISN key, the SYN cookies' secrets (the first
/// two and every rotation, RFC 4987 §3.6) and the Fast Open key it uses when none is configured.
/// Each is a 128-bit SipHash-2-4 key. The ephemeral ports come from the generator handed to
/// `TCPStack.init` whatever the source, on a stream of their own.
public struct SecretSource: Sendable, Hashable, CustomStringConvertible {
    enum Kind: Sendable, Hashable { case system, seeded }
    let kind: Kind

    /// The operating system's cryptographic generator (`SystemRandomNumberGenerator`, getrandom(2)
    /// on Linux), 128 bits drawn for each secret when it is needed: no secret is a function of
    /// another one, of the port generator, or of anything the stack sends (ports, ISNs, cookies).
    /// The default, and what a stack on a real network wants.
    public static let system = SecretSource(kind: .system)

    /// Derived, like the ports, from the one value the stack draws from the generator handed to
    /// `init`: a seeded generator then reproduces every ISN, cookie and Fast Open cookie (the
    /// simulator, the script runner, `--seed`). Not for production: the 64-bit seed (or the
    /// state of a model of the generator, recovered from ports and ISNs seen on the wire) gives
    /// every ISN and lets anyone forge SYN cookies.
    public static let seeded = SecretSource(kind: .seeded)

    public var description: String {
        switch kind {
        case .system: "system"
        case .seeded: "seeded"
        }
    }
}

/// One stream of 128-bit keys from a `SecretSource`.
struct SecretStream {
    private enum State {
        case system
        case seeded(StackRandom)
    }
    private var state: State

    /// `seed` is used by a seeded source only (a stream of its own per secret, as before).
    init(_ source: SecretSource, seed: UInt64) {
        switch source.kind {
        case .system: state = .system
        case .seeded: state = .seeded(StackRandom(seed: seed))
        }
    }

    /// A stream that replays `random` (seeded).
    init(seeded random: StackRandom) { state = .seeded(random) }

    /// The next 128-bit key: two independent 64-bit draws.
    mutating func nextKey() -> (k0: UInt64, k1: UInt64) {
        switch state {
        case .system:
            var g = SystemRandomNumberGenerator()
            return (g.next(), g.next())
        case .seeded(var r):
            let key = (r.next(), r.next())
            state = .seeded(r)
            return key
        }
    }
}
