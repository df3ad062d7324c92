#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TCPNet

/// A real descriptor per end: one end of a socketpair(AF_UNIX, SOCK_SEQPACKET) (one packet per
/// datagram, boundaries kept), read by the stack's own event loop the way it reads a TUN device
/// (`PollablePacketDevice`: epoll on the descriptor, non-blocking recv, no reader thread, no
/// inbox) and written with a non-blocking send from the loop. What a measured iteration allocates
/// is then the polled device path's share, the drivers', the engines' and the benchmark's tasks'.
public final class SocketPairDevice: PollablePacketDevice {
    public let descriptor: Int32
    /// Takes ownership of `descriptor` (closed in deinit).
    public init(descriptor: Int32) { self.descriptor = descriptor }
    deinit { close(descriptor) }

    /// Both ends, with socket buffers large enough for a window of full-size packets.
    public static func pair() throws -> (SocketPairDevice, SocketPairDevice) {
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

    public var pollDescriptor: Int32 { descriptor }
    public func startPolled() throws {}
    public func start(receive: @escaping @Sendable (UnsafeRawBufferPointer) -> Void) throws {
        throw EndOfStream()   // polled only
    }
    public func receive(into buffer: UnsafeMutableRawBufferPointer) -> Int? {
        let n = recv(descriptor, buffer.baseAddress, buffer.count, Int32(MSG_DONTWAIT))
        return n > 0 ? n : nil
    }
    public func send(_ packet: UnsafeRawBufferPointer) {
        // A full socket buffer drops the packet, as a full TUN queue does; TCP sends it again.
        #if canImport(Glibc)
        _ = Glibc.send(descriptor, packet.baseAddress, packet.count, Int32(MSG_DONTWAIT))
        #else
        _ = Darwin.send(descriptor, packet.baseAddress, packet.count, MSG_DONTWAIT)
        #endif
    }
    public func stop() {}
}

/// A socketpair could not be made.
public struct EndOfStream: Error { public init() {} }
