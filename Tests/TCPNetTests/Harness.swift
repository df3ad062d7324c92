import TCPCore
import TCPNet
import TCPSim
import TCPWire

/// Two stacks wired through an `InMemoryDevicePair`: `client` on device a, `server` on device b.
struct StackPair {
    static let clientV4 = IPAddress("198.18.0.1")!
    static let serverV4 = IPAddress("198.18.0.2")!
    static let clientV6 = IPAddress("fd00:18::1")!
    static let serverV6 = IPAddress("fd00:18::2")!

    let devices: InMemoryDevicePair
    let client: NetworkStack
    let server: NetworkStack

    init(loss: Double = 0, seed: UInt64 = 1, configuration: TCPConfiguration = StackPair.configuration) throws {
        devices = InMemoryDevicePair(loss: loss, seed: seed)
        client = try NetworkStack(device: devices.a, addresses: [Self.clientV4, Self.clientV6],
                                  configuration: configuration, seed: seed)
        server = try NetworkStack(device: devices.b, addresses: [Self.serverV4, Self.serverV6],
                                  configuration: configuration, seed: seed &+ 1)
    }

    /// Timers scaled for a link without delay: a lost segment is retransmitted after 20 ms, not 1 s.
    static var configuration: TCPConfiguration {
        var c = TCPConfiguration()
        c.rtoMin = .milliseconds(20)
        c.rtoInitial = .milliseconds(100)
        c.msl = .milliseconds(50)
        return c
    }

    func shutdown() async {
        await client.shutdown(gracePeriod: .milliseconds(500))
        await server.shutdown(gracePeriod: .milliseconds(500))
    }
}

/// Reproducible pseudo-random bytes (SplitMix64 stream).
func patternBytes(count: Int, seed: UInt64) -> [UInt8] {
    var random = SplitMix64(seed: seed)
    var out = [UInt8]()
    out.reserveCapacity(count + 8)
    while out.count < count {
        let z = random.next()
        withUnsafeBytes(of: z) { out.append(contentsOf: $0) }
    }
    return Array(out[0..<count])
}

/// Writes `bytes` in pieces of `piece` bytes.
func writeAll(_ connection: TCPConnection, _ bytes: [UInt8], piece: Int = 32768) async throws {
    var i = 0
    while i < bytes.count {
        let end = min(bytes.count, i + piece)
        try await connection.write(Array(bytes[i..<end]))
        i = end
    }
}

/// Reads to end of stream; returns the byte count and SHA-256.
func readAllHashing(_ connection: TCPConnection) async throws -> (count: Int, digest: [UInt8]) {
    var hash = SHA256()
    var n = 0
    for try await chunk in connection {
        precondition(!chunk.isEmpty)
        hash.update(chunk)
        n += chunk.count
    }
    return (n, hash.finalize())
}

/// Reads to end of stream.
func readAll(_ connection: TCPConnection) async throws -> [UInt8] {
    var out: [UInt8] = []
    for try await chunk in connection { out += chunk }
    return out
}

/// Polls `condition` (on the stacks' state) until it holds, for at most `attempts` × 5 ms.
/// Used to wait for a state the test then asserts on, never to measure time.
func eventually(attempts: Int = 2000, _ condition: () async -> Bool) async -> Bool {
    for _ in 0..<attempts {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return await condition()
}
