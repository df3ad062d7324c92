#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Benchmark
import BenchmarkSupport
import NIOConcurrencyHelpers
import TCPCore
import TCPNet
import TCPWire

// The driver end to end: two NetworkStacks, each on its own event loop thread, joined by a device
// pair, one connection between them, the async API on both ends (write, read). Everything the
// process allocates while a measured iteration runs is counted: the benchmark's tasks, both
// drivers, both engines, the device.

/// Joins two stacks without any work of its own: `send` (on the sender's loop thread) hands the
/// packet straight to the other stack's receive callback, which copies it into that stack's inbox.
/// No allocation, no thread of its own: what is left to count is the drivers' and the engines'.
/// (The callback is called inside the lock rather than taken out of it: a closure returned
/// through the generic `withLockedValue` is re-abstracted, which allocates twice per packet.)
final class DirectDevice: PacketDevice {
    typealias Receive = @Sendable (UnsafeRawBufferPointer) -> Void
    /// The two ends' receive callbacks; end `side` receives from `receivers[side]`.
    final class Wire: Sendable {
        let receivers = (NIOLockedValueBox<Receive?>(nil), NIOLockedValueBox<Receive?>(nil))
        func slot(_ side: Int) -> NIOLockedValueBox<Receive?> { side == 0 ? receivers.0 : receivers.1 }
    }
    let wire: Wire
    let side: Int

    init(wire: Wire, side: Int) {
        self.wire = wire
        self.side = side
    }

    static func pair() -> (DirectDevice, DirectDevice) {
        let wire = Wire()
        return (DirectDevice(wire: wire, side: 0), DirectDevice(wire: wire, side: 1))
    }

    func start(receive: @escaping Receive) throws {
        wire.slot(side).withLockedValue { $0 = receive }
    }

    func send(_ packet: UnsafeRawBufferPointer) {
        wire.slot(1 - side).withLockedValue { $0?(packet) }
    }

    func stop() {
        wire.slot(side).withLockedValue { $0 = nil }
    }
}

enum Link: String { case inMemory = "InMemoryDevicePair", direct = "direct device", socketPair = "socketpair, polled" }

/// Two stacks, one connection (client → server), and optionally an echo task on the server.
final class Session: Sendable {
    static let clientAddress = IPAddress("198.18.0.1")!
    static let serverAddress = IPAddress("198.18.0.2")!

    let client: NetworkStack
    let server: NetworkStack
    let sender: TCPConnection
    let receiver: TCPConnection
    let echo: Task<Void, Never>?

    init(link: Link, echo: Bool) async throws {
        let a: any PacketDevice, b: any PacketDevice
        switch link {
        case .inMemory:
            let pair = InMemoryDevicePair()
            (a, b) = (pair.a, pair.b)
        case .direct:
            (a, b) = DirectDevice.pair()
        case .socketPair:
            (a, b) = try SocketPairDevice.pair()
        }
        client = try NetworkStack(device: a, addresses: [Self.clientAddress], seed: 1)
        server = try NetworkStack(device: b, addresses: [Self.serverAddress], seed: 2)
        let listener = try server.listen(port: 5201)
        async let accepted = listener.accept()
        sender = try await client.connect(to: SocketAddress(Self.serverAddress, 5201))
        guard let peer = try await accepted else { throw EndOfStream() }
        receiver = peer
        await listener.close()
        if echo {
            var options = ConnectionOptions()
            options.noDelay = true
            try await sender.setOptions(options)
            try await peer.setOptions(options)
            self.echo = Task {
                do { for try await chunk in peer { try await peer.write(chunk) } } catch {}
            }
        } else {
            self.echo = nil
        }
    }

    /// Reads exactly `count` bytes (they may come in several chunks).
    static func read(_ connection: TCPConnection, exactly count: Int) async throws -> Int {
        var n = 0
        while n < count {
            guard let chunk = try await connection.read(maxBytes: count - n) else { throw EndOfStream() }
            n += chunk.count
        }
        return n
    }

    /// `data` from client to server: returns once the server's application has read all of it.
    func oneWay(_ data: [UInt8]) async throws {
        async let received = Self.read(receiver, exactly: data.count)
        try await sender.write(data)
        _ = try await received
    }

    /// `message` to the echo task and back.
    func roundTrip(_ message: [UInt8]) async throws {
        try await sender.write(message)
        _ = try await Self.read(sender, exactly: message.count)
    }

    /// Packets both stacks sent so far.
    func packetsSent() async -> Int {
        let c = await client.statistics(), s = await server.statistics()
        return c.driver.packetsSent + s.driver.packetsSent
    }

    func close() async {
        echo?.cancel()
        await client.shutdown(gracePeriod: .milliseconds(200))
        await server.shutdown(gracePeriod: .milliseconds(200))
    }
}

nonisolated(unsafe) var echoPath: EchoPath?
nonisolated(unsafe) let echoBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 16)

nonisolated(unsafe) var session: Session?

let mebibyte = [UInt8]((0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 11) })
let message = [UInt8](repeating: 0x42, count: 64)
let packets = BenchmarkMetric.custom("packets (both directions)", polarity: .prefersSmaller, useScalingFactor: false)

let benchmarks: @Sendable () -> Void = {
    // One iteration moves 1 MiB: wall clock per MiB, throughput in MiB/s, mallocs per MiB.
    // The connection is opened (and warmed: rings allocated, cwnd grown) before the iterations.
    for link in [Link.inMemory, .direct, .socketPair] {
        Benchmark("TCPNet: 1 MiB one way (\(link.rawValue))",
                  configuration: .init(metrics: [.wallClock, .throughput, .mallocCountTotal, packets],
                                       warmupIterations: 16, maxDuration: .seconds(5), maxIterations: 2000)) { benchmark in
            let s = session!
            let before = await s.packetsSent()
            benchmark.startMeasurement()
            do { try await s.oneWay(mebibyte) } catch { benchmark.error("transfer failed: \(error)") }
            benchmark.stopMeasurement()
            benchmark.measurement(packets, await s.packetsSent() - before)
        } setup: {
            session = try await Session(link: link, echo: false)
        } teardown: {
            await session?.close()
            session = nil
        }
    }

    // The same with TUN offloads: 64 KiB TSO segments and checksums left to the device.
    let tunOffload = TransmitOffload(maximumSegmentBytes: 65535 - 20 - 60, checksum: true)
    for (name, offload) in [("no driver, for comparison", nil), ("TSO+checksum offload", Optional(tunOffload))] {
        Benchmark("Engines alone: 1 MiB one way (\(name))",
                  configuration: .init(metrics: [.wallClock, .throughput, .mallocCountTotal, packets],
                                       warmupIterations: 16, maxDuration: .seconds(3), maxIterations: 2000)) { benchmark in
            var pair = EnginePair(offload: offload)
            let n = mebibyte.withUnsafeBytes { pair.oneWay($0) }   // warm: rings, cwnd
            blackHole(n)
            benchmark.startMeasurement()
            var count = 0
            for _ in benchmark.scaledIterations {
                count += mebibyte.withUnsafeBytes { pair.oneWay($0) }
            }
            benchmark.stopMeasurement()
            benchmark.measurement(packets, count)
        }
    }

    // The device path without the application: 32 ICMP echo requests into a stack polling one end
    // of a socketpair, 32 replies out; mallocs per iteration / 64 = per packet (must be 0).
    Benchmark("TUN path: 32 pings in, 32 replies out (socketpair, polled, no application)",
              configuration: .init(metrics: [.wallClock, .mallocCountTotal, packets],
                                   warmupIterations: 50, maxDuration: .seconds(3), maxIterations: 20_000,
                                   // The guard: `swift package benchmark thresholds check --filter 'TUN path.*'`
                                   // fails if any iteration up to p99 allocates (Thresholds/).
                                   thresholds: [.mallocCountTotal: .init(absolute: [.p50: 0, .p90: 0, .p99: 0])])) { benchmark in
        let e = echoPath!
        benchmark.startMeasurement()
        let replies = e.burst(echoBuffer)
        benchmark.stopMeasurement()
        if replies != EchoPath.burst { benchmark.error("\(replies) of \(EchoPath.burst) replies") }
        benchmark.measurement(packets, EchoPath.burst + replies)
    } setup: {
        echoPath = try EchoPath()
    } teardown: {
        await echoPath?.stack.shutdown(gracePeriod: .milliseconds(100))
        echoPath = nil
    }

    // Latency: 64 bytes to an echo task on the other stack and back (TCP_NODELAY both ways).
    for link in [Link.inMemory, .direct, .socketPair] {
        Benchmark("TCPNet: 64-byte echo round trip (\(link.rawValue))",
                  configuration: .init(metrics: [.wallClock, .mallocCountTotal, packets],
                                       warmupIterations: 100, maxDuration: .seconds(3), maxIterations: 100_000)) { benchmark in
            let s = session!
            let before = await s.packetsSent()
            benchmark.startMeasurement()
            do { try await s.roundTrip(message) } catch { benchmark.error("round trip failed: \(error)") }
            benchmark.stopMeasurement()
            benchmark.measurement(packets, await s.packetsSent() - before)
        } setup: {
            session = try await Session(link: link, echo: true)
        } teardown: {
            await session?.close()
            session = nil
        }
    }
}
