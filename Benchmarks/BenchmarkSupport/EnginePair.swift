import TCPCore
import TCPWire

/// The same transfer between two bare engines, no driver: packets handed over in the calling
/// thread, the engines' clock advanced by hand. What it allocates is the engines' share.
public struct EnginePair {
    public static let clientAddress = IPAddress("198.18.0.1")!
    public static let serverAddress = IPAddress("198.18.0.2")!
    public var a: TCPStack
    public var b: TCPStack
    public let aConn: ConnectionID
    public let bConn: ConnectionID
    public var now = Instant.zero
    /// nil: the plain `pollTransmit(now:into:)`. Otherwise both engines are polled with it, and
    /// the packets go across as a TUN device with offloads passes them on: a TSO packet whole (the
    /// kernel's GRO would hand the receiver the same), and the receiver takes the checksum as
    /// valid (what a driver does for VIRTIO_NET_HDR_F_NEEDS_CSUM or _DATA_VALID).
    public let offload: TransmitOffload?
    public let wire = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 16)
    public let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 16)

    public init(offload: TransmitOffload? = nil) {
        self.offload = offload
        var random = SplitMix64(seed: 3)
        a = TCPStack(addresses: [EnginePair.clientAddress], random: &random)
        b = TCPStack(addresses: [EnginePair.serverAddress], random: &random)
        let listener = try! b.listen(port: 5201)
        aConn = try! a.connect(to: SocketAddress(EnginePair.serverAddress, 5201), now: now)
        var packets = 0
        Self.exchange(&a, &b, now, wire, offload, &packets)
        bConn = try! b.accept(listener)!
    }

    public static func poll(_ s: inout TCPStack, _ now: Instant, _ wire: UnsafeMutableRawBufferPointer, _ offload: TransmitOffload?) -> Int? {
        if let offload { return s.pollTransmit(now: now, into: wire, offload: offload)?.length }
        return s.pollTransmit(now: now, into: wire)
    }

    public static func deliver(_ to: inout TCPStack, _ packet: UnsafeRawBufferPointer, _ offload: TransmitOffload?, _ now: Instant) {
        guard offload != nil else { return to.handle(ipPacket: packet, now: now) }
        guard let seg = try? TCPPacket.parse(packet, verifyChecksum: false) else { return }
        to.handle(segment: seg, now: now)
    }

    public static func exchange(_ a: inout TCPStack, _ b: inout TCPStack, _ now: Instant, _ wire: UnsafeMutableRawBufferPointer,
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
    public mutating func oneWay(_ data: UnsafeRawBufferPointer) -> Int {
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
