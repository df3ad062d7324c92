#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Benchmark
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

/// A real descriptor per end: one end of a socketpair(AF_UNIX, SOCK_SEQPACKET) (one packet per
/// datagram, boundaries kept), read by the stack's own event loop the way it reads a TUN device
/// (`PollablePacketDevice`: epoll on the descriptor, non-blocking recv, no reader thread, no
/// inbox) and written with a non-blocking send from the loop. What a measured iteration allocates
/// is then the polled device path's share, the drivers', the engines' and the benchmark's tasks'.
final class SocketPairDevice: PollablePacketDevice {
    let descriptor: Int32
    /// Takes ownership of `descriptor` (closed in deinit).
    init(descriptor: Int32) { self.descriptor = descriptor }
    deinit { close(descriptor) }

    /// Both ends, with socket buffers large enough for a window of full-size packets.
    static func pair() throws -> (SocketPairDevice, SocketPairDevice) {
        var fds: [Int32] = [-1, -1]
        #if canImport(Glibc)
        let type = Int32(SOCK_SEQPACKET.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        #else
        let type = SOCK_DGRAM
        #endif
        guard socketpair(AF_UNIX, type, 0, &fds) == 0 else { throw EndOfStream() }
        var size: Int32 = 4 << 20
        for fd in fds { _ = setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size)) }
        return (SocketPairDevice(descriptor: fds[0]), SocketPairDevice(descriptor: fds[1]))
    }

    var pollDescriptor: Int32 { descriptor }
    func startPolled() throws {}
    func start(receive: @escaping @Sendable (UnsafeRawBufferPointer) -> Void) throws {
        throw EndOfStream()   // polled only
    }
    func receive(into buffer: UnsafeMutableRawBufferPointer) -> Int? {
        let n = recv(descriptor, buffer.baseAddress, buffer.count, Int32(MSG_DONTWAIT))
        return n > 0 ? n : nil
    }
    func send(_ packet: UnsafeRawBufferPointer) {
        // A full socket buffer drops the packet, as a full TUN queue does; TCP sends it again.
        #if canImport(Glibc)
        _ = Glibc.send(descriptor, packet.baseAddress, packet.count, Int32(MSG_DONTWAIT))
        #else
        _ = Darwin.send(descriptor, packet.baseAddress, packet.count, MSG_DONTWAIT)
        #endif
    }
    func stop() {}
}

enum Link: String { case inMemory = "InMemoryDevicePair", direct = "direct device", socketPair = "socketpair, polled" }

struct EndOfStream: Error {}

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

/// The same transfer between two bare engines, no driver: packets handed over in the calling
/// thread, the engines' clock advanced by hand. What it allocates is the engines' share.
struct EnginePair {
    var a: TCPStack
    var b: TCPStack
    let aConn: ConnectionID
    let bConn: ConnectionID
    var now = Instant.zero
    /// nil: the plain `pollTransmit(now:into:)`. Otherwise both engines are polled with it, and
    /// the packets go across as a TUN device with offloads passes them on: a TSO packet whole (the
    /// kernel's GRO would hand the receiver the same), and the receiver takes the checksum as
    /// valid (what a driver does for VIRTIO_NET_HDR_F_NEEDS_CSUM or _DATA_VALID).
    let offload: TransmitOffload?
    let wire = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 16)
    let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 16)

    init(offload: TransmitOffload? = nil) {
        self.offload = offload
        var random = SplitMix64(seed: 3)
        a = TCPStack(addresses: [Session.clientAddress], random: &random)
        b = TCPStack(addresses: [Session.serverAddress], random: &random)
        let listener = try! b.listen(port: 5201)
        aConn = try! a.connect(to: SocketAddress(Session.serverAddress, 5201), now: now)
        var packets = 0
        Self.exchange(&a, &b, now, wire, offload, &packets)
        bConn = try! b.accept(listener)!
    }

    static func poll(_ s: inout TCPStack, _ now: Instant, _ wire: UnsafeMutableRawBufferPointer, _ offload: TransmitOffload?) -> Int? {
        if let offload { return s.pollTransmit(now: now, into: wire, offload: offload)?.length }
        return s.pollTransmit(now: now, into: wire)
    }

    static func deliver(_ to: inout TCPStack, _ packet: UnsafeRawBufferPointer, _ offload: TransmitOffload?, _ now: Instant) {
        guard offload != nil else { return to.handle(ipPacket: packet, now: now) }
        guard let seg = try? TCPPacket.parse(packet, verifyChecksum: false) else { return }
        to.handle(segment: seg, now: now)
    }

    static func exchange(_ a: inout TCPStack, _ b: inout TCPStack, _ now: Instant, _ wire: UnsafeMutableRawBufferPointer,
                         _ offload: TransmitOffload?, _ packets: inout Int) {
        var moved = true
        while moved {
            moved = false
            while let n = poll(&a, now, wire, offload) {
                deliver(&b, UnsafeRawBufferPointer(rebasing: wire[0..<n]), offload, now)
                packets += 1
                moved = true
            }
            while let n = poll(&b, now, wire, offload) {
                deliver(&a, UnsafeRawBufferPointer(rebasing: wire[0..<n]), offload, now)
                packets += 1
                moved = true
            }
        }
    }

    /// `data` from a to b, read by b's application as it arrives; returns the packets exchanged.
    mutating func oneWay(_ data: UnsafeRawBufferPointer) -> Int {
        var queued = 0, received = 0, packets = 0
        while received < data.count {
            now = now + .microseconds(20)
            if let d = a.nextDeadline, d <= now { a.handleTimeout(now: now) }
            if let d = b.nextDeadline, d <= now { b.handleTimeout(now: now) }
            if queued < data.count {
                queued += try! a.send(aConn, UnsafeRawBufferPointer(rebasing: data[queued...]), now: now)
            }
            Self.exchange(&a, &b, now, wire, offload, &packets)
            while case .data(let n) = try! b.receive(bConn, into: scratch, now: now) { received += n }
            Self.exchange(&a, &b, now, wire, offload, &packets)
            while a.pollEvent() != nil {}
            while b.pollEvent() != nil {}
        }
        return packets
    }
}

/// The polled device path alone, in the steady state: a `NetworkStack` over one end of a
/// socketpair answers ICMP echo requests (1,400-byte packets) that the benchmark writes into the
/// other end, and the benchmark reads the replies. Every packet goes the way a TUN packet does —
/// epoll wakes the loop, a non-blocking recv into the loop's buffer, the stack's input, the reply
/// written into its transmit buffer, a non-blocking send — with no application call and no task
/// woken, so what a measured iteration allocates is the device path's, per packet.
final class EchoPath: Sendable {
    static let burst = 32
    static let packetBytes = 1400
    let stack: NetworkStack
    let peer: SocketPairDevice
    let requests: [[UInt8]]

    init() throws {
        let (a, b) = try SocketPairDevice.pair()
        stack = try NetworkStack(device: a, addresses: [Session.serverAddress], seed: 4)
        peer = b
        requests = (0..<Self.burst).map { Self.echoRequest(sequence: UInt16($0)) }
    }

    /// An ICMP echo request (RFC 792) from the client address to the stack's, `packetBytes` long.
    static func echoRequest(sequence: UInt16) -> [UInt8] {
        var p = [UInt8](repeating: 0, count: packetBytes)
        p[0] = 0x45
        p[2] = UInt8(packetBytes >> 8); p[3] = UInt8(packetBytes & 0xff)
        p[4] = UInt8(sequence >> 8); p[5] = UInt8(sequence & 0xff)
        p[6] = 0x40   // DF
        p[8] = 64
        p[9] = 1      // ICMP
        p[12] = 198; p[13] = 18; p[14] = 0; p[15] = 1
        p[16] = 198; p[17] = 18; p[18] = 0; p[19] = 2
        var sum = p.withUnsafeBytes { InternetChecksum.compute(UnsafeRawBufferPointer(rebasing: $0[0..<20])) }
        p[10] = UInt8(sum >> 8); p[11] = UInt8(sum & 0xff)
        p[20] = 8     // echo request
        p[24] = 0x12; p[25] = 0x34
        p[26] = UInt8(sequence >> 8); p[27] = UInt8(sequence & 0xff)
        for i in 28..<packetBytes { p[i] = UInt8(truncatingIfNeeded: i) }
        sum = p.withUnsafeBytes { InternetChecksum.compute(UnsafeRawBufferPointer(rebasing: $0[20...])) }
        p[22] = UInt8(sum >> 8); p[23] = UInt8(sum & 0xff)
        return p
    }

    /// Writes `burst` requests and reads as many replies; returns the replies read (fewer only if
    /// one did not come within a second).
    func burst(_ buffer: UnsafeMutableRawBufferPointer) -> Int {
        for r in requests {
            _ = r.withUnsafeBytes { send(peer.descriptor, $0.baseAddress, $0.count, 0) }
        }
        var replies = 0
        while replies < Self.burst {
            var p = pollfd(fd: peer.descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, 1000) == 1 else { break }
            while recv(peer.descriptor, buffer.baseAddress, buffer.count, Int32(MSG_DONTWAIT)) > 0 { replies += 1 }
        }
        return replies
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
                                   warmupIterations: 50, maxDuration: .seconds(3), maxIterations: 20_000)) { benchmark in
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
