import TCPCore
import TCPNet
import TCPNetApps
import TCPWire

/// Two stacks joined in memory: `client` (198.18.0.1) and `server` (198.18.0.2), where the
/// applications under test run.
struct AppPair {
    static let clientV4 = IPAddress("198.18.0.1")!
    static let serverV4 = IPAddress("198.18.0.2")!

    let devices: InMemoryDevicePair
    let client: NetworkStack
    let server: NetworkStack

    init(seed: UInt64 = 1) throws {
        devices = InMemoryDevicePair(seed: seed)
        var c = TCPConfiguration()
        // Timers scaled for a link without delay.
        c.rtoMin = .milliseconds(20)
        c.rtoInitial = .milliseconds(100)
        c.msl = .milliseconds(50)
        client = try NetworkStack(device: devices.a, addresses: [Self.clientV4], configuration: c, seed: seed)
        server = try NetworkStack(device: devices.b, addresses: [Self.serverV4], configuration: c, seed: seed &+ 1)
    }

    /// Serves every connection to `port` with `mode` until the server stack shuts down.
    func serve(_ mode: TCPServer.Mode, port: UInt16) throws -> Task<Void, Never> {
        let listener = try server.listen(port: port)
        return Task { await TCPServer(mode: mode).run(listener) }
    }

    /// Serves the first connection to `port` with `mode`; the task ends when serving it is over.
    func serveOne(_ mode: TCPServer.Mode, port: UInt16) throws -> Task<Void, Never> {
        let listener = try server.listen(port: port)
        return Task {
            guard let c = try? await listener.accept() else { return }
            await TCPServer(mode: mode).serve(c)
        }
    }

    func connect(port: UInt16) async throws -> Peer {
        Peer(try await client.connect(to: SocketAddress(Self.serverV4, port)))
    }

    func shutdown() async {
        await client.shutdown(gracePeriod: .milliseconds(500))
        await server.shutdown(gracePeriod: .milliseconds(500))
    }
}

/// The test's side of a connection, with a buffer for reading exact amounts.
final class Peer {
    let connection: TCPConnection
    var buffer: [UInt8] = []

    init(_ connection: TCPConnection) {
        self.connection = connection
    }

    func write(_ bytes: [UInt8]) async throws {
        try await connection.write(bytes)
    }

    func write(_ text: String) async throws {
        try await connection.write(Array(text.utf8))
    }

    /// Reads one more chunk into the buffer; false at the end of the stream.
    func fill() async throws -> Bool {
        guard let chunk = try await connection.read() else { return false }
        buffer += chunk
        return true
    }

    /// Exactly `n` bytes; nil if the stream ended first.
    func read(_ n: Int) async throws -> [UInt8]? {
        while buffer.count < n {
            guard try await fill() else { return nil }
        }
        defer { buffer.removeFirst(n) }
        return Array(buffer[..<n])
    }

    /// The bytes up to and including `delimiter`; nil if the stream ended first.
    func read(through delimiter: [UInt8]) async throws -> [UInt8]? {
        var searched = 0
        while true {
            if buffer.count >= delimiter.count {
                for i in searched...(buffer.count - delimiter.count) where Array(buffer[i..<(i + delimiter.count)]) == delimiter {
                    defer { buffer.removeFirst(i + delimiter.count) }
                    return Array(buffer[..<(i + delimiter.count)])
                }
                searched = buffer.count - delimiter.count + 1
            }
            guard try await fill() else { return nil }
        }
    }

    /// Everything until the end of the stream (the buffer first).
    func readToEnd() async throws -> [UInt8] {
        while try await fill() {}
        defer { buffer = [] }
        return buffer
    }
}

/// Reproducible pseudo-random bytes.
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
