import Testing
@testable import TCPCore

@Suite("PushPolicy: which data segments carry PSH")
struct PushPolicyTests {
    /// The PSH bits of the segments a fresh connection sends for one write of `count` bytes.
    static func pushes(_ policy: PushPolicy, writing count: Int) -> [Bool] {
        var h = Harness.established(Harness.configuration { $0.pushPolicy = policy })
        _ = h.write(Array(repeating: 7, count: count), at: 0.1)
        return h.takeSent().filter { !$0.payload.isEmpty }.map { $0.flags.contains(.psh) }
    }

    @Test("the profiles: TCPKit's default places PSH at the queue's end, Linux's as Linux does")
    func profiles() {
        #expect(TCPConfiguration().pushPolicy == .queueEnd)
        #expect(TCPConfiguration.linux.pushPolicy == .linux)
        #expect(TCPConfiguration(profile: .freeBSD).pushPolicy == .queueEnd)
    }

    @Test(".queueEnd: only the segment that empties the send queue carries PSH")
    func queueEnd() {
        // Eight segments of 1460 (the peer's MSS) and a short one: all within IW 10.
        let p = Self.pushes(.queueEnd, writing: 8 * 1460 + 100)
        #expect(p == Array(repeating: false, count: 8) + [true])
    }

    @Test(".linux: packets of at most cwnd/2 segments (no RTT sample: no pacing limit), each ending with PSH")
    func linuxPackets() {
        // IW 10: cwnd/2 = 5 segments a packet; 9 segments go as a packet of five and one of four.
        let p = Self.pushes(.linux, writing: 8 * 1460 + 100)
        #expect(p == [false, false, false, false, true, false, false, false, true])
        // Fifteen segments queued, ten go: two packets of five, both ending with PSH; the queue
        // does not empty.
        let q = Self.pushes(.linux, writing: 15 * 1460)
        #expect(q == [false, false, false, false, true, false, false, false, false, true])
    }

    @Test(".linux: a single segment that empties the queue carries PSH, as under .queueEnd")
    func linuxShortWrite() {
        #expect(Self.pushes(.linux, writing: 100) == [true])
        #expect(Self.pushes(.linux, writing: 1460 + 1) == [false, true])
    }

    @Test("the TCB stays within its limit with the push state")
    func size() {
        #expect(MemoryLayout<PushPacket>.size == 2)
        #expect(MemoryLayout<Connection>.size <= 960)
    }
}
