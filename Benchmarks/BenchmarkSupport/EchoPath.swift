#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TCPNet
import TCPWire

/// The polled device path alone, in the steady state: a `NetworkStack` over one end of a
/// socketpair answers ICMP echo requests (1,400-byte packets) that the benchmark writes into the
/// other end, and the benchmark reads the replies. Every packet goes the way a TUN packet does —
/// epoll wakes the loop, a non-blocking recv into the loop's buffer, the stack's input, the reply
/// written into its transmit buffer, a non-blocking send — with no application call and no task
/// woken, so what a measured iteration allocates is the device path's, per packet.
public final class EchoPath: Sendable {
    public static let burst = 32
    public static let packetBytes = 1400
    public let stack: NetworkStack
    public let peer: SocketPairDevice
    public let requests: [[UInt8]]

    public init() throws {
        let (a, b) = try SocketPairDevice.pair()
        stack = try NetworkStack(device: a, addresses: [EnginePair.serverAddress], seed: 4)
        peer = b
        requests = (0..<Self.burst).map { Self.echoRequest(sequence: UInt16($0)) }
    }

    /// An ICMP echo request (RFC 792) from the client address to the stack's, `packetBytes` long.
    public static func echoRequest(sequence: UInt16) -> [UInt8] {
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
    public func burst(_ buffer: UnsafeMutableRawBufferPointer) -> Int {
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
