import Synchronization
import TCPNet
import Testing

/// FaultyDevice over a device that records what it is asked to send and lets the test inject
/// received packets (no root needed). Each packet is one byte pair: its index, big-endian.
@Suite("FaultyDevice")
struct FaultyDeviceTests {
    final class RecordingDevice: PacketDevice, Sendable {
        let sent = Mutex<[[UInt8]]>([])
        let receiver = Mutex<(@Sendable (UnsafeRawBufferPointer) -> Void)?>(nil)
        func start(receive: @escaping @Sendable (UnsafeRawBufferPointer) -> Void) throws { receiver.withLock { $0 = receive } }
        func send(_ packet: UnsafeRawBufferPointer) { sent.withLock { $0.append(Array(packet)) } }
        func stop() {}
        func inject(_ bytes: [UInt8]) {
            let r = receiver.withLock { $0 }
            bytes.withUnsafeBytes { r?($0) }
        }
    }

    static func packet(_ i: Int) -> [UInt8] { [UInt8(i >> 8), UInt8(i & 0xFF)] }
    static func index(_ p: [UInt8]) -> Int { Int(p[0]) << 8 | Int(p[1]) }

    /// Sends `n` numbered packets through a FaultyDevice and returns the indices that came out.
    static func sendThrough(_ faults: FaultyDevice.Faults, seed: UInt64, n: Int = 2000) -> (out: [Int], device: FaultyDevice) {
        let inner = RecordingDevice()
        let d = FaultyDevice(wrapping: inner, outbound: faults, inbound: .init(), seed: seed)
        for i in 0..<n { packet(i).withUnsafeBytes { d.send($0) } }
        d.stop()
        return (inner.sent.withLock { $0 }.map(index), d)
    }

    @Test func noFaultsPassEverythingInOrder() {
        let (out, d) = Self.sendThrough(.init(), seed: 1)
        #expect(out == Array(0..<2000))
        #expect(d.sentCounters == .init(packets: 2000, lost: 0, reordered: 0, duplicated: 0))
    }

    @Test func lossDropsAboutTheGivenShareAndNothingElse() {
        let (out, d) = Self.sendThrough(.init(loss: 0.05), seed: 7, n: 20000)
        let lost = 20000 - out.count
        // Binomial(20000, 0.05): mean 1000, sd 31; 6 sd either side.
        #expect((810...1190).contains(lost))
        #expect(d.sentCounters.lost == lost)
        #expect(out == out.sorted())           // no reordering, no duplicates
        #expect(Set(out).count == out.count)
    }

    @Test func sameSeedSameFaultsOtherSeedOtherFaults() {
        let f = FaultyDevice.Faults(loss: 0.1, reorder: 0.1, duplicate: 0.1)
        let a = Self.sendThrough(f, seed: 42).out, b = Self.sendThrough(f, seed: 42).out
        let c = Self.sendThrough(f, seed: 43).out
        #expect(a == b)
        #expect(a != c)
    }

    @Test func reorderedPacketGoesRightAfterTheNextOne() {
        let (out, d) = Self.sendThrough(.init(reorder: 1), seed: 3, n: 6)
        // Every packet is drawn for holding; one is held at a time, so 0 is held, 1 overtakes it,
        // 2 is held, 3 overtakes it, ...
        #expect(out == [1, 0, 3, 2, 5, 4])
        #expect(d.sentCounters.reordered == 3)
    }

    @Test func heldPacketIsFlushedAtStop() {
        let (out, _) = Self.sendThrough(.init(reorder: 1), seed: 3, n: 3)
        #expect(out == [1, 0, 2])
    }

    @Test func duplicateSendsTwiceInARow() {
        let (out, d) = Self.sendThrough(.init(duplicate: 1), seed: 5, n: 4)
        #expect(out == [0, 0, 1, 1, 2, 2, 3, 3])
        #expect(d.sentCounters.duplicated == 4)
    }

    @Test func directionsHaveTheirOwnFaults() throws {
        let inner = RecordingDevice()
        let d = FaultyDevice(wrapping: inner, outbound: .init(), inbound: .init(loss: 1), seed: 9)
        let got = Mutex<[[UInt8]]>([])
        try d.start { p in got.withLock { $0.append(Array(p)) } }
        for i in 0..<10 {
            inner.inject(Self.packet(i))
            Self.packet(i).withUnsafeBytes { d.send($0) }
        }
        #expect(got.withLock { $0 }.isEmpty)
        #expect(inner.sent.withLock { $0 }.count == 10)
        #expect(d.receivedCounters.lost == 10)
        #expect(d.sentCounters.lost == 0)
    }
}
