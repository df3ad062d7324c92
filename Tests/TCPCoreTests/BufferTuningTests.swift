import Testing
import TCPWire
@testable import TCPCore

/// Buffers that size themselves (TCPStack+BufferTuning.swift): a slow reader keeps its buffer,
/// growth stops at the stack's memory limit, fixed sizes stay fixed, and the window scale covers
/// the most the buffer may grow to. (The window growing round by round on a real path is in
/// TCPSimTests' AutoTuningSimulationTests: this file's link has no bandwidth, so a whole window
/// arrives at one instant.)
@Suite("Buffer auto-tuning")
struct BufferTuningTests {
    /// A connection from A to B over `link`.
    static func connect(_ link: inout Link) -> (a: ConnectionID, b: ConnectionID)? {
        let l = try! link.onB { s, _ in try s.listen(port: 80) }
        let a = try! link.onA { s, now in try s.connect(to: SocketAddress(peerIP, 80), now: now) }
        var b: ConnectionID?
        while b == nil, link.step(until: .seconds(10)) { b = try! link.b.accept(l) }
        guard let b else { return nil }
        return (a, b)
    }

    /// A writes `data` as fast as its stack takes it; B reads up to `chunk` bytes every `interval`
    /// (nil: everything, as soon as it arrives). Runs for `seconds`; returns what B read.
    static func transfer(_ link: inout Link, _ a: ConnectionID, _ b: ConnectionID, _ data: [UInt8],
                         readEvery interval: Duration?, chunk: Int = 1 << 30, seconds: Double,
                         watch: (Link) -> Void = { _ in }) -> [UInt8] {
        var sent = 0, shut = false, eof = false
        var received: [UInt8] = []
        var scratch = [UInt8](repeating: 0, count: 1 << 16)
        let end = Instant.seconds(seconds)
        var nextRead = link.now
        func read(_ link: inout Link) {
            var budget = chunk
            while budget > 0 && !eof {
                let r = scratch.withUnsafeMutableBytes { buf in
                    try? link.b.receive(b, into: UnsafeMutableRawBufferPointer(rebasing: buf[0..<min(buf.count, budget)]), now: link.now)
                }
                switch r {
                case .data(let n)?: received += scratch[0..<n]; budget -= n
                case .endOfStream?: eof = true
                case .wouldBlock?, nil: budget = 0
                }
            }
        }
        while link.now < end {
            Transfer.write(&link.a, a, data, &sent, &shut, link.now)
            let wake = interval == nil ? end : min(nextRead, end)
            if !link.step(until: wake) { link.now = max(link.now, wake) }
            if let interval {
                if link.now >= nextRead { read(&link); nextRead = link.now + interval }
            } else {
                read(&link)
            }
            link.flush()
            watch(link)
            if eof { break }
        }
        return received
    }

    @Test("a slow reader keeps its initial buffer; the same transfer read at once grows it",
          arguments: [(Duration.milliseconds(100), 8 << 10), (.seconds(2), 1 << 30)])
    func slowReaderStaysSmall(interval: Duration, chunk: Int) throws {
        // 50 ms RTT. Slow: 8 KiB every 100 ms (4 KiB per round trip), or whatever is there every
        // 2 s (a large gulp, but little per round trip).
        var rng = SplitMix64(seed: 5)
        let data = rng.bytes(6 << 20)
        var slow = Link(configuration: TCPConfiguration(), delay: .milliseconds(25))
        let (a, b) = try #require(Self.connect(&slow))
        let got = Self.transfer(&slow, a, b, data, readEvery: interval, chunk: chunk, seconds: 8)
        #expect(got.count > 0 && got[...] == data[0..<got.count])
        let info = try #require(slow.b.tcpInfo(of: b))
        #expect(info.receiveBufferBytes == 256 << 10, "a slow reader's buffer stays at its initial size")
        #expect(slow.b.statistics.receiveBufferGrowths == 0)
        #expect(info.receiverRTT != nil, "the receiver measured the round trip")

        var fast = Link(configuration: TCPConfiguration(), delay: .milliseconds(25))
        let (fa, fb) = try #require(Self.connect(&fast))
        let all = Self.transfer(&fast, fa, fb, data, readEvery: nil, seconds: 8)
        #expect(all == data)
        #expect(fast.b.statistics.receiveBufferGrowths > 0, "a reader that keeps up grows the buffer")
        #expect((fast.b.tcpInfo(of: fb)?.receiveBufferBytes ?? 0) > 256 << 10)
    }

    @Test("the stack's memory limit stops growth (counted), never drops accepted data, and all of it comes back at the end")
    func memoryLimitStopsGrowth() throws {
        // B starts at 16 KiB; the limit lets it double once (32 KiB) but not twice (64 KiB).
        var config = TCPConfiguration()
        config.receiveBuffer = .autoTuned(initial: 16 << 10, maximum: 6 << 20)
        config.bufferMemoryLimit = 48 << 10
        var link = Link(configuration: TCPConfiguration(), configurationB: config, delay: .milliseconds(25))
        let (a, b) = try #require(Self.connect(&link))
        var rng = SplitMix64(seed: 9)
        let data = rng.bytes(2 << 20)
        var most = 0
        let got = Self.transfer(&link, a, b, data, readEvery: nil, seconds: 60) { most = max(most, $0.b.statistics.bufferBytes) }
        #expect(got == data, "every byte arrives, in order")
        let stats = link.b.statistics
        #expect(stats.receiveBufferGrowths == 1)
        #expect(stats.bufferGrowthsRefused >= 1, "growth refused under the limit is counted")
        #expect(link.b.tcpInfo(of: b)?.receiveBufferBytes == 32 << 10)
        #expect(most <= 48 << 10 && most == 32 << 10)
        #expect(stats.dropCount(.beyondWindow) == 0)
        // Everything closes: the rings' memory goes back (after TIME-WAIT on A, CLOSED on B).
        try link.onA { s, now in try s.close(a, now: now) }
        try link.onB { s, now in try s.close(b, now: now) }
        link.run(until: 200)
        #expect(link.a.statistics.bufferBytes == 0 && link.b.statistics.bufferBytes == 0)
    }

    @Test("fixed sizes: with auto-tuning off the buffers never grow, and the window scale fits the fixed size")
    func fixedSizesStay() throws {
        var config = TCPConfiguration()
        config.receiveBufferBytes = 256 << 10   // setting a size fixes it
        config.sendBufferBytes = 256 << 10
        #expect(config.receiveBuffer == .fixed(256 << 10) && config.sendBuffer == .fixed(256 << 10))
        var link = Link(configuration: config, delay: .milliseconds(25))
        let (a, b) = try #require(Self.connect(&link))
        #expect(link.b.info(of: b)?.windowShifts?.receive == 3, "256 KiB needs a shift of 3")
        var rng = SplitMix64(seed: 11)
        let data = rng.bytes(6 << 20)
        let got = Self.transfer(&link, a, b, data, readEvery: nil, seconds: 8)
        #expect(got.count > 1 << 20 && got[...] == data[0..<got.count])
        #expect(link.b.statistics.receiveBufferGrowths == 0 && link.a.statistics.sendBufferGrowths == 0)
        #expect(link.b.tcpInfo(of: b)?.receiveBufferBytes == 256 << 10 && link.a.tcpInfo(of: a)?.sendBufferBytes == 256 << 10)
    }

    @Test("the SYN's window scale covers the most the buffer may grow to (RFC 7323 §2.3)",
          arguments: [(BufferSizing.autoTuned(initial: 64 << 10, maximum: 6 << 20), 7 as UInt8),
                      (.autoTuned(initial: 64 << 10, maximum: 1 << 30), 14), (.fixed(64 << 10), 1)])
    func windowScaleForTheMaximum(sizing: BufferSizing, shift: UInt8) {
        let h = Harness.synSent(Harness.configuration { $0.receiveBuffer = sizing })
        let syn = h.lastSentSegment
        #expect(syn.options.windowScale == shift)
        #expect(syn.window == 65535, "the SYN offers the initial 64 KiB buffer (capped at the unscaled field)")
    }

    @Test("an idle connection keeps the stack's shared empty rings: no buffer memory, no tuning state in the TCB")
    func idleConnectionHoldsNothing() throws {
        var link = Link(configuration: TCPConfiguration(), delay: .milliseconds(25))
        let (a, b) = try #require(Self.connect(&link))
        link.run(until: 5)
        #expect(link.a.statistics.bufferBytes == 0 && link.b.statistics.bufferBytes == 0)
        #expect(link.a.tcpInfo(of: a)?.receiveBufferBytes == 256 << 10)
        #expect(link.b.tcpInfo(of: b)?.sendBufferBytes == 256 << 10)
        #expect(MemoryLayout<Connection>.size <= 1024)
    }

    @Test("ByteRing.grow keeps stored bytes and out-of-order bytes at their offsets, across the wrap")
    func ringGrowKeepsBytes() {
        let ring = ByteRing(capacity: 8)
        [UInt8](0..<6).withUnsafeBytes { _ = ring.append($0) }
        ring.discard(4)                                              // head at 4: bytes 4, 5 stored
        [UInt8](6..<10).withUnsafeBytes { _ = ring.append($0) }     // wraps: 4...9 stored
        [UInt8]([42]).withUnsafeBytes { ring.write(at: 1, $0) }      // out of order, one past a gap
        ring.grow(to: 16)
        #expect(ring.capacity == 16 && ring.count == 6 && ring.free == 10)
        [UInt8]([10]).withUnsafeBytes { ring.write(at: 0, $0) }      // the gap fills
        ring.commit(2)
        var out = [UInt8](repeating: 0, count: 8)
        let n = out.withUnsafeMutableBytes { ring.read(into: $0) }
        #expect(Array(out[0..<n]) == [4, 5, 6, 7, 8, 9, 10, 42])
        ring.grow(to: 12)                                            // never shrinks
        #expect(ring.capacity == 16)
    }
}
