import Benchmark
import TCPCore
import TCPWire

/// Buffers shared by every pair (allocated once, so they do not count in the measurements).
nonisolated(unsafe) let wireBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 2048, alignment: 16)
nonisolated(unsafe) let readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 16)

/// Two stacks joined back to back, packets handed over at once.
struct Pair {
    var a: TCPStack
    var b: TCPStack
    var aConn: ConnectionID
    var bConn: ConnectionID
    var now = Instant.zero
    let wire: UnsafeMutableRawBufferPointer
    let scratch: UnsafeMutableRawBufferPointer

    init() {
        var r = SplitMix64(seed: 7)
        a = TCPStack(addresses: [IPAddress("198.18.0.1")!], random: &r)
        b = TCPStack(addresses: [IPAddress("198.18.0.2")!], random: &r)
        wire = wireBuffer
        scratch = readBuffer
        let l = try! b.listen(port: 80)
        aConn = try! a.connect(to: SocketAddress(IPAddress("198.18.0.2")!, 80), now: now)
        bConn = aConn
        exchange()
        bConn = try! b.accept(l)!
        while a.pollEvent() != nil {}
        while b.pollEvent() != nil {}
    }

    /// Moves packets both ways until neither side has anything to send.
    mutating func exchange() {
        var moved = true
        while moved {
            moved = false
            while let n = a.pollTransmit(now: now, into: wire) {
                b.handle(ipPacket: UnsafeRawBufferPointer(rebasing: wire[0..<n]), now: now)
                moved = true
            }
            while let n = b.pollTransmit(now: now, into: wire) {
                a.handle(ipPacket: UnsafeRawBufferPointer(rebasing: wire[0..<n]), now: now)
                moved = true
            }
        }
    }

    /// One full-size segment from a to b, read by b's application, and its ACK back.
    mutating func segmentRoundTrip(_ payload: UnsafeRawBufferPointer) {
        now = now + .microseconds(10)
        _ = try! a.send(aConn, payload, now: now)
        exchange()
        _ = try! b.receive(bConn, into: scratch, now: now)
        exchange()
        while a.pollEvent() != nil {}
        while b.pollEvent() != nil {}
    }
}

/// Spoofed SYNs for the SYN flood benchmarks, from 203.0.113.1… to 198.18.0.2:80.
let floodServer = IPAddress("198.18.0.2")!
let floodSYNs: [[UInt8]] = (0..<10).map { k in
    let h = TCPHeader(sourcePort: UInt16(1024 + k), destinationPort: 80, sequenceNumber: SequenceNumber(UInt32(k + 1) &* 2_654_435_761),
                      acknowledgmentNumber: SequenceNumber(0), flags: [.syn], window: 64240,
                      options: TCPOptions(mss: 1460, windowScale: 7, sackPermitted: true, timestamp: TCPTimestamp(value: UInt32(k), echoReply: 0)))
    return try! TCPPacket.build(source: IPAddress("203.0.113.\(k + 1)")!, destination: floodServer, header: h)
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .mallocCountTotal, .throughput], maxDuration: .seconds(2))

    // The per-segment hot path: segment in, data out to the application, ACK out; must not allocate.
    Benchmark("Established: 1460-byte segment + ACK round trip") { benchmark in
        var pair = Pair()
        let payload = UnsafeMutableRawBufferPointer.allocate(byteCount: 1460, alignment: 16)
        payload.initializeMemory(as: UInt8.self, repeating: 0x5a)
        pair.segmentRoundTrip(UnsafeRawBufferPointer(payload))   // warm: rings allocated on first use
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            pair.segmentRoundTrip(UnsafeRawBufferPointer(payload))
        }
        benchmark.stopMeasurement()
    }

    Benchmark("Internet checksum, 1500 bytes") { benchmark in
        let buf = UnsafeMutableRawBufferPointer.allocate(byteCount: 1500, alignment: 16)
        for i in 0..<1500 { buf[i] = UInt8(truncatingIfNeeded: i &* 31) }
        for _ in benchmark.scaledIterations {
            blackHole(InternetChecksum.compute(UnsafeRawBufferPointer(buf)))
        }
    }

    Benchmark("Handshake and close, two stacks", configuration: .init(metrics: [.wallClock, .mallocCountTotal])) { benchmark in
        for _ in benchmark.scaledIterations {
            var pair = Pair()
            try? pair.a.close(pair.aConn, now: pair.now)
            try? pair.b.close(pair.bConn, now: pair.now)
            pair.exchange()
            blackHole(pair.a.connectionCount)
        }
    }

    // A SYN flood (RFC 4987): one spoofed SYN (MSS, SACK-permitted, timestamps, window scale,
    // as Linux sends them) to a listener whose half-open queue is full, answered with a SYN
    // cookie that leaves no state: must not allocate. For comparison, the same SYN making a
    // half-open connection (cookies off, room in the queue). Setup (a fresh stack, the queue
    // filled, one cookie sent to warm the control queue) is outside the measurement.
    for cookies in [true, false] {
        Benchmark(cookies ? "SYN flood: a SYN answered with a SYN cookie (queue full)" : "SYN flood: a SYN making a half-open connection (no cookies)",
                  configuration: .init(metrics: [.wallClock, .mallocCountTotal])) { benchmark in
            var r = SplitMix64(seed: 13)
            var config = TCPConfiguration()
            config.synCookies = cookies ? .whenQueueFull : .never
            var b = TCPStack(addresses: [floodServer], configuration: config, random: &r)
            _ = try! b.listen(port: 80, backlog: 8)
            let now = Instant.zero
            for k in 0..<(cookies ? 9 : 7) {
                floodSYNs[k].withUnsafeBytes { b.handle(ipPacket: $0, now: now) }
                while b.pollTransmit(now: now, into: wireBuffer) != nil {}
            }
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                floodSYNs[9].withUnsafeBytes { b.handle(ipPacket: $0, now: now) }
                while let n = b.pollTransmit(now: now, into: wireBuffer) { blackHole(n) }
            }
            benchmark.stopMeasurement()
            blackHole(b.connectionCount)
        }
    }

    // The same cookie SYN with the clock 128 s on each time, so that every SYN first rotates the
    // cookie secret (a new one drawn, the old kept as the previous): rotation must not allocate.
    Benchmark("SYN flood: a SYN answered with a SYN cookie, the secret rotating each time",
              configuration: .init(metrics: [.wallClock, .mallocCountTotal])) { benchmark in
        var r = SplitMix64(seed: 13)
        var b = TCPStack(addresses: [floodServer], configuration: TCPConfiguration(), random: &r)
        _ = try! b.listen(port: 80, backlog: 8)
        var now = Instant.zero
        for k in 0..<9 {
            floodSYNs[k].withUnsafeBytes { b.handle(ipPacket: $0, now: now) }
            while b.pollTransmit(now: now, into: wireBuffer) != nil {}
        }
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            now = Instant(nanoseconds: now.nanoseconds + 128_000_000_000)
            floodSYNs[9].withUnsafeBytes { b.handle(ipPacket: $0, now: now) }
            while let n = b.pollTransmit(now: now, into: wireBuffer) { blackHole(n) }
        }
        benchmark.stopMeasurement()
        blackHole(b.statistics.synCookiesSent)
    }

    // Memory of idle connections: 100,000 ESTABLISHED connections between two stacks (so
    // 200,000 TCBs), no data ever sent. Read resident memory against the empty baseline run.
    Benchmark("Idle: 100k established connections (200k TCBs)",
              configuration: .init(metrics: [.peakMemoryResident, .mallocCountTotal], maxDuration: .seconds(60), maxIterations: 1)) { benchmark in
        var r = SplitMix64(seed: 11)
        var config = TCPConfiguration()
        config.ephemeralPorts = 1024...65535
        let server = IPAddress("198.18.0.2")!
        var clientAddresses: [IPAddress] = []
        for i in 0..<4 { clientAddresses.append(IPAddress("198.18.1.\(i + 1)")!) }
        var a = TCPStack(addresses: clientAddresses, configuration: config, random: &r)
        var b = TCPStack(addresses: [server], configuration: config, random: &r)
        let l = try! b.listen(port: 80, backlog: 200_000)
        let now = Instant.zero
        for i in 0..<100_000 {
            _ = try! a.connect(to: SocketAddress(server, 80), from: clientAddresses[i % 4], now: now)
            var moved = true
            while moved {
                moved = false
                while let n = a.pollTransmit(now: now, into: wireBuffer) { b.handle(ipPacket: UnsafeRawBufferPointer(rebasing: wireBuffer[0..<n]), now: now); moved = true }
                while let n = b.pollTransmit(now: now, into: wireBuffer) { a.handle(ipPacket: UnsafeRawBufferPointer(rebasing: wireBuffer[0..<n]), now: now); moved = true }
            }
            _ = try! b.accept(l)
            while a.pollEvent() != nil {}
            while b.pollEvent() != nil {}
        }
        blackHole(a.connectionCount + b.connectionCount)
    }
}
