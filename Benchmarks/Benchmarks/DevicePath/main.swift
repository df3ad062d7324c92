// device-path: the "TUN path" benchmark's loop (NetBenchmarks) as a plain executable, to find
// what allocates with valgrind: `valgrind --xtree-memory=full device-path --bursts N`.
// Prints `bursts=… replies=…`.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TCPNet
import TCPWire

struct EndOfStream: Error {}

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

final class EchoPath: Sendable {
    static let burst = 32
    static let packetBytes = 1400
    let stack: NetworkStack
    let peer: SocketPairDevice
    let requests: [[UInt8]]

    init() throws {
        let (a, b) = try SocketPairDevice.pair()
        stack = try NetworkStack(device: a, addresses: [IPAddress("198.18.0.2")!], seed: 4)
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


var bursts = 1000
var arguments = CommandLine.arguments.dropFirst()
while let a = arguments.popFirst() {
    guard a == "--bursts", let v = arguments.popFirst().flatMap({ Int($0) }) else { print("usage: device-path [--bursts N]"); exit(2) }
    bursts = v
}
let path = try EchoPath()
let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 16)
var replies = 0
for _ in 0..<bursts { replies += path.burst(buffer) }
print("bursts=\(bursts) replies=\(replies)")
