#if canImport(Glibc)
import Glibc
import Synchronization
import TCPWire

/// Why a TUN device could not be opened or used. Every case names what to do about it.
public enum TUNError: Error, Equatable, Sendable, CustomStringConvertible {
    /// TUNSETIFF needs CAP_NET_ADMIN (root): the kernel answered EPERM or EACCES.
    case notPermitted
    /// `/dev/net/tun` is missing or the kernel has no TUN driver (ENOENT, ENODEV, ENXIO).
    case noTUNDevice(errno: Int32)
    /// The interface name is empty, longer than IFNAMSIZ − 1 = 15 bytes, or contains a slash.
    case badName(String)
    /// Another process holds an interface of that name (EBUSY), or it is not a TUN one.
    case nameInUse(String)
    /// `/var/run/netns/NAME` could not be opened or entered.
    case namespace(String, errno: Int32)
    /// Any other failure of a system call, with its errno.
    case system(call: String, errno: Int32)
    /// An `ip` command that configures the kernel's side failed.
    case commandFailed(command: String, status: Int32, output: String)
    /// `start` was called twice, or after `stop`.
    case alreadyStarted

    public var description: String {
        switch self {
        case .notPermitted:
            "creating a TUN interface needs root (CAP_NET_ADMIN); run as root"
        case .noTUNDevice(let e):
            "no TUN device: cannot open /dev/net/tun (\(String(cString: strerror(e)))); load the tun module or run where /dev/net/tun exists"
        case .badName(let n):
            "bad interface name '\(n)': 1 to 15 bytes, no '/' or whitespace"
        case .nameInUse(let n):
            "interface '\(n)' is in use by another process or is not a TUN interface"
        case .namespace(let n, let e):
            "cannot enter network namespace '\(n)': \(String(cString: strerror(e)))"
        case .system(let call, let e):
            "\(call) failed: \(String(cString: strerror(e)))"
        case .commandFailed(let c, let s, let o):
            "`\(c)` exited with status \(s): \(o)"
        case .alreadyStarted:
            "the device was already started"
        }
    }

    /// True for the two errors that mean "this machine or user cannot have a TUN device at all"
    /// (the CLI exits with status 2 on them, the interop tests skip on them outside CI).
    public var isUnavailable: Bool {
        switch self {
        case .notPermitted, .noTUNDevice: true
        default: false
        }
    }
}

/// A Linux TUN interface (`/dev/net/tun`, IFF_TUN | IFF_NO_PI): every read is one whole IP
/// packet, every write sends one, with no link header and no packet-information prefix.
///
/// With offloads (the default; `offload: false` turns them off) the interface is opened with
/// IFF_VNET_HDR and TUNSETOFFLOAD(TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6): every read and write
/// then starts with a `VirtioNetHeader`, the kernel hands over TCP super-segments of up to 64 KiB
/// (what it would have cut into MTU-sized segments, and their checksums uncomputed) and takes
/// such super-segments, cutting them itself. The header stays inside the device: `receive(into:offload:)`
/// reads it into a local beside the packet (readv(2)) and reports it as a `PacketOffload`, and
/// `send(_:offload:)` writes it from a local in front of the packet (writev(2)), so the packet
/// buffers the driver hands over hold plain IP packets either way, with no copy. A kernel that
/// refuses (TUNSETOFFLOAD failing: an old kernel) leaves the device as without offloads, and
/// `offloadStatus` says so. Through `receive(into:)` and `start(receive:)`, which say nothing of
/// offloads, partial checksums are completed in software, so those callers see whole packets
/// (perhaps larger than the MTU).
///
/// A `PollablePacketDevice`: `NetworkStack` reads it on its own event loop (the descriptor is
/// non-blocking and sits in the loop's epoll set; `receive(into:)` reads one packet), with no
/// thread of the device's own. Started with `start(receive:)` instead (as any device, or with
/// `NetworkStack(..., pollDevice: false)`), the read side is a dedicated thread blocked in poll(2)
/// on the TUN descriptor and a pipe that `stop()` signals, handing each packet to the `receive`
/// closure on that thread. Either way a read goes into a 65535-byte buffer allocated once (the
/// largest IP packet): a TUN read returns one packet and discards what does not fit, so no
/// smaller buffer will do (which is also why this is not a SwiftNIO channel: NIO's pipe channel
/// sizes its read buffers adaptively, and stops after one short read per wake-up). `send` writes
/// from the caller's thread: a write to a TUN descriptor never blocks for long, and when the
/// kernel's queue is full (EAGAIN, ENOBUFS) the packet is dropped and counted, as a full NIC
/// queue drops.
public final class TUNDevice: PollablePacketDevice, Sendable {
    /// Counters since the device was opened.
    public struct Statistics: Sendable, Hashable {
        public var packetsReceived = 0, bytesReceived = 0
        public var packetsSent = 0, bytesSent = 0
        /// Packets `send` dropped because the kernel's queue was full.
        public var sendDropped = 0
        /// Packets `send` dropped for another error (interface down, bad packet), and failed reads.
        public var sendErrors = 0, readErrors = 0
        /// With offloads: super-segments (a `virtio_net_hdr` with a TCP GSO type) read and written.
        public var superSegmentsReceived = 0, superSegmentsSent = 0
        /// With offloads: packets read whose checksum was partial (NEEDS_CSUM), and of those, the
        /// ones this device completed in software (for `receive(into:)` and `start(receive:)`).
        public var partialChecksumsReceived = 0, checksumsCompleted = 0
        /// With offloads: packets read whose `virtio_net_hdr` could not be honoured (dropped).
        public var badOffloadHeaders = 0
    }

    /// Whether the device runs with offloads.
    public enum OffloadStatus: Sendable, Hashable, CustomStringConvertible {
        /// Not asked for: plain packets, no header.
        case off
        /// IFF_VNET_HDR and TUNSETOFFLOAD(checksum, TSO over IPv4 and IPv6) are in force.
        case on
        /// Asked for, but the kernel refused (this errno); the device runs as with `.off`.
        case refused(errno: Int32)

        public var description: String {
            switch self {
            case .off: "off"
            case .on: "on (checksum, TSO4, TSO6)"
            case .refused(let e): "refused by the kernel (\(String(cString: strerror(e)))); running without"
            }
        }
    }

    /// IFNAMSIZ (linux/if.h).
    public static let maximumNameLength = 15
    /// The largest IP packet a read can return (the total-length field's limit).
    public static let maximumPacketBytes = 65535

    // linux/if_tun.h: TUNSETIFF = _IOW('T', 202, int); IFF_TUN, IFF_NO_PI.
    static let tunSetIff: UInt = 0x4004_54CA
    static let iffTun: Int16 = 0x0001
    static let iffNoPi: Int16 = 0x1000
    // IFF_VNET_HDR; TUNSETOFFLOAD = _IOW('T', 208, unsigned int), whose argument is the flags
    // themselves: TUN_F_CSUM, TUN_F_TSO4, TUN_F_TSO6.
    static let iffVnetHdr: Int16 = 0x4000
    static let tunSetOffload: UInt = 0x4004_54D0
    static let tunOffloadFlags: UInt = 0x01 | 0x02 | 0x04
    /// IFF_MULTI_QUEUE: every TUNSETIFF with this flag and the same name attaches one more queue.
    static let iffMultiQueue: Int16 = 0x0100
    // struct ifreq: char ifr_name[16], then a union of 24 bytes whose first member we use is
    // short ifr_flags, at offset 16; 40 bytes in all on 64-bit Linux.
    static let ifreqSize = 40, ifreqFlagsOffset = 16

    /// The interface name the kernel gave (the requested one).
    public let name: String
    /// The network namespace the interface lives in (nil: the process's own).
    public let namespace: String?
    /// Whether offloads are in force (`.on`), not asked for, or refused by the kernel.
    public let offloadStatus: OffloadStatus
    /// True when every read and write carries a `virtio_net_hdr` (`offloadStatus == .on`).
    public var offloadActive: Bool { vnetHeader }
    let vnetHeader: Bool
    let fd: Int32
    /// A pipe whose write end `stop()` writes to, to wake the reader out of poll(2).
    let wakeRead: Int32, wakeWrite: Int32

    private struct RunState {
        var started = false
        var stopped = false
        var thread: pthread_t? = nil
    }
    private let run = Mutex(RunState())
    /// The counters, in a box the reader thread shares.
    private final class Counters: Sendable {
        let value = Mutex(Statistics())
    }
    private let stats = Counters()

    /// Opens `/dev/net/tun` and creates (or attaches to) the TUN interface `name`. With
    /// `namespace`, the descriptor is opened by a short-lived thread that first enters
    /// `/var/run/netns/NAMESPACE` (setns(2), CLONE_NEWNET): a TUN descriptor belongs to the network
    /// namespace it was opened in, so the interface appears there while this process stays in
    /// its own namespace. The interface goes away when the device is deinitialised.
    ///
    /// With `offload` (the default) it asks the kernel for checksum and segmentation offloads and
    /// falls back to none when the kernel refuses (see `offloadStatus`).
    public convenience init(name: String = "tcpkit0", namespace: String? = nil, offload: Bool = true) throws(TUNError) {
        try self.init(name: name, namespace: namespace, offload: offload, multiQueue: false)
    }

    /// Opens `count` queues of one multi-queue TUN interface `name` (IFF_MULTI_QUEUE; created
    /// with the first queue, or attached to when it exists as a multi-queue interface), one
    /// device per queue: for a sharded `NetworkStack`, one per core. The kernel hands each flow to
    /// the queue that last sent one of its packets, or else picks one by flow hash (Linux's tun
    /// automatic queue selection), and hands what a queue sends to the stack as any TUN write.
    /// The interface goes away when the last queue is deinitialised. `offload` as for one queue
    /// (the offloads are the interface's: every queue asks for the same).
    /// - Throws: `.badName`, `.nameInUse` (a single-queue interface of that name exists), or what
    ///   opening a queue throws (the queues already opened are closed).
    public static func openQueues(name: String = "tcpkit0", count: Int, namespace: String? = nil,
                                  offload: Bool = true) throws(TUNError) -> [TUNDevice] {
        guard count >= 1 else { throw .system(call: "TUNSETIFF (IFF_MULTI_QUEUE, \(count) queues)", errno: EINVAL) }
        var queues: [TUNDevice] = []
        for _ in 0..<count { queues.append(try TUNDevice(name: name, namespace: namespace, offload: offload, multiQueue: true)) }
        return queues
    }

    init(name: String, namespace: String?, offload: Bool, multiQueue: Bool) throws(TUNError) {
        guard !name.isEmpty, name.utf8.count <= Self.maximumNameLength,
              !name.contains("/"), !name.contains(where: \.isWhitespace) else { throw .badName(name) }
        self.name = name
        self.namespace = namespace
        let opened: Result<Opened, TUNError>
        if let namespace {
            opened = Self.inNamespace(namespace) { Self.open(name: name, offload: offload, multiQueue: multiQueue, system: .live) }
        } else {
            opened = Self.open(name: name, offload: offload, multiQueue: multiQueue, system: .live)
        }
        let (fd, status) = try opened.map { ($0.fd, $0.status) }.get()
        offloadStatus = status
        vnetHeader = status == .on
        var ends: [Int32] = [-1, -1]
        if pipe(&ends) != 0 {
            let e = errno
            Glibc.close(fd)
            throw .system(call: "pipe2", errno: e)
        }
        for end in ends {
            _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
        }
        self.fd = fd
        wakeRead = ends[0]
        wakeWrite = ends[1]
    }

    deinit {
        stop()
        Glibc.close(fd)
        Glibc.close(wakeRead)
        Glibc.close(wakeWrite)
    }

    /// A descriptor and the offload mode it was configured with.
    struct Opened: Sendable {
        var fd: Int32
        var status: OffloadStatus
    }

    /// The system calls `open` makes, replaceable so that its decisions can be tested without root.
    struct System: Sendable {
        /// open("/dev/net/tun"): the descriptor, or −errno.
        var openDevice: @Sendable () -> Int32
        /// ioctl(TUNSETIFF) with this ifreq: 0 or the errno.
        var setInterface: @Sendable (Int32, UnsafeMutableRawBufferPointer) -> Int32
        /// ioctl(TUNSETOFFLOAD) with these flags: 0 or the errno.
        var setOffload: @Sendable (Int32, UInt) -> Int32
        var close: @Sendable (Int32) -> Void

        static let live = System(
            openDevice: {
                let fd = Glibc.open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC)
                return fd >= 0 ? fd : -errno
            },
            setInterface: { fd, ifr in ioctl(fd, TUNDevice.tunSetIff, ifr.baseAddress!) < 0 ? errno : 0 },
            // The argument is the flags as an unsigned long, passed by value (not a pointer to them).
            setOffload: { fd, flags in ioctl(fd, TUNDevice.tunSetOffload, UnsafeMutableRawPointer(bitPattern: flags)!) < 0 ? errno : 0 },
            close: { fd in _ = Glibc.close(fd) })
    }

    /// Opens and configures the descriptor in the calling thread's network namespace. With
    /// `offload`: IFF_VNET_HDR, then TUNSETOFFLOAD; if the kernel refuses either (EINVAL from an
    /// old kernel), the descriptor is closed (the interface, not yet persistent, goes with it) and
    /// opened again without, and the status says what the kernel answered.
    static func open(name: String, offload: Bool, multiQueue: Bool = false, system: System) -> Result<Opened, TUNError> {
        let plain = iffTun | iffNoPi | (multiQueue ? iffMultiQueue : 0)
        guard offload else { return open(name: name, flags: plain, system: system).map { Opened(fd: $0, status: .off) } }
        let refusal: Int32
        var setIffErrno: Int32 = 0
        switch open(name: name, flags: plain | iffVnetHdr, system: system, setIffErrno: &setIffErrno) {
        case .success(let fd):
            let e = system.setOffload(fd, tunOffloadFlags)
            if e == 0 { return .success(Opened(fd: fd, status: .on)) }
            system.close(fd)
            refusal = e
        case .failure where setIffErrno == EINVAL:
            // EINVAL from TUNSETIFF: perhaps a kernel without IFF_VNET_HDR (or the name belongs to
            // something else, which the plain open reports again).
            refusal = EINVAL
        case .failure(let other):
            return .failure(other)
        }
        return open(name: name, flags: plain, system: system).map { Opened(fd: $0, status: .refused(errno: refusal)) }
    }

    /// open(2) and TUNSETIFF with `flags`.
    static func open(name: String, flags: Int16, system: System) -> Result<Int32, TUNError> {
        var ignored: Int32 = 0
        return open(name: name, flags: flags, system: system, setIffErrno: &ignored)
    }

    /// `open(name:flags:system:)`, also giving TUNSETIFF's errno when that is what failed.
    static func open(name: String, flags: Int16, system: System, setIffErrno: inout Int32) -> Result<Int32, TUNError> {
        let fd = system.openDevice()
        if fd < 0 {
            let e = -fd
            switch e {
            case ENOENT, ENODEV, ENXIO: return .failure(.noTUNDevice(errno: e))
            case EPERM, EACCES: return .failure(.notPermitted)
            default: return .failure(.system(call: "open /dev/net/tun", errno: e))
            }
        }
        var ifr = [UInt8](repeating: 0, count: ifreqSize)
        for (i, b) in name.utf8.enumerated() { ifr[i] = b }
        let bits = UInt16(bitPattern: flags)
        ifr[ifreqFlagsOffset] = UInt8(bits & 0xFF)          // host order: x86-64 and arm64 are little-endian
        ifr[ifreqFlagsOffset + 1] = UInt8(bits >> 8)
        let e = ifr.withUnsafeMutableBytes { system.setInterface(fd, $0) }
        if e != 0 {
            system.close(fd)
            setIffErrno = e
            switch e {
            case EPERM, EACCES: return .failure(.notPermitted)
            case EBUSY, EINVAL: return .failure(.nameInUse(name))
            default: return .failure(.system(call: "ioctl TUNSETIFF", errno: e))
            }
        }
        return .success(fd)
    }

    /// Runs `body` on a new thread that has entered network namespace `namespace` and returns its
    /// result; the thread ends right after, so no other code ever runs in that namespace.
    static func inNamespace<T: Sendable>(_ namespace: String, _ body: @escaping @Sendable () -> Result<T, TUNError>) -> Result<T, TUNError> {
        guard !namespace.isEmpty, !namespace.contains("/") else { return .failure(.namespace(namespace, errno: EINVAL)) }
        guard let setns = setnsFunction else { return .failure(.namespace(namespace, errno: ENOSYS)) }
        let result = Mutex<Result<T, TUNError>?>(nil)
        let thread = try? PlainThread.start {
            let nsfd = Glibc.open("/var/run/netns/" + namespace, O_RDONLY | O_CLOEXEC)
            guard nsfd >= 0 else {
                let e = errno
                result.withLock { $0 = .failure(.namespace(namespace, errno: e)) }
                return
            }
            defer { Glibc.close(nsfd) }
            guard setns(nsfd, cloneNewNet) == 0 else {
                let e = errno
                result.withLock { $0 = .failure(e == EPERM ? .notPermitted : .namespace(namespace, errno: e)) }
                return
            }
            let r = body()
            result.withLock { $0 = r }
        }
        guard let thread else { return .failure(.system(call: "pthread_create", errno: EAGAIN)) }
        pthread_join(thread, nil)
        return result.withLock { $0 } ?? .failure(.namespace(namespace, errno: EINVAL))
    }

    /// CLONE_NEWNET (linux/sched.h).
    static let cloneNewNet: Int32 = 0x4000_0000
    /// setns(2): Glibc declares it only with _GNU_SOURCE, which Swift's Glibc module does not
    /// define, so it is looked up by name.
    static let setnsFunction: (@convention(c) (Int32, Int32) -> Int32)? = {
        guard let p = dlsym(nil, "setns") else { return nil }
        return unsafeBitCast(p, to: (@convention(c) (Int32, Int32) -> Int32).self)
    }()

    // MARK: PacketDevice

    public func start(receive: @escaping @Sendable (UnsafeRawBufferPointer) -> Void) throws {
        try run.withLock { (s: inout RunState) throws(TUNError) in
            guard !s.started, !s.stopped else { throw .alreadyStarted }
            let fd = self.fd, wake = self.wakeRead, stats = self.stats, vnet = self.vnetHeader
            do {
                s.thread = try PlainThread.start { Self.readLoop(fd: fd, vnet: vnet, wake: wake, stats: stats, receive: receive) }
            } catch {
                throw .system(call: "pthread_create", errno: EAGAIN)
            }
            s.started = true
        }
    }

    public var pollDescriptor: Int32 { fd }

    public func startPolled() throws {
        try run.withLock { (s: inout RunState) throws(TUNError) in
            guard !s.started, !s.stopped else { throw .alreadyStarted }
            s.started = true
        }
    }

    /// One packet, whole: a partial checksum is completed here (see the type's documentation).
    public func receive(into buffer: UnsafeMutableRawBufferPointer) -> Int? {
        var offload = PacketOffload.none
        guard let n = receive(into: buffer, offload: &offload) else { return nil }
        Self.completeInSoftware(UnsafeMutableRawBufferPointer(rebasing: buffer[..<n]), offload, stats: stats)
        return n
    }

    public func receive(into buffer: UnsafeMutableRawBufferPointer, offload: inout PacketOffload) -> Int? {
        while true {
            switch Self.readOne(fd: fd, vnet: vnetHeader, into: buffer, stats: stats) {
            case .packet(let n, let o):
                offload = o
                return n
            case .dropped: continue
            case .none: return nil
            }
        }
    }

    public var transmitOffload: PacketOffload.Capabilities {
        vnetHeader ? PacketOffload.Capabilities(checksum: true, segmentation: true, maximumPacketBytes: Self.maximumPacketBytes) : .none
    }

    public func send(_ packet: UnsafeRawBufferPointer) {
        send(packet, offload: .none)
    }

    /// Sends `packet`, its `virtio_net_hdr` (all zero for `.none`) written in front with
    /// writev(2) when offloads are on. An offload the device did not offer (`transmitOffload`) is
    /// an error: the packet is dropped and counted in `sendErrors`.
    public func send(_ packet: UnsafeRawBufferPointer, offload: PacketOffload) {
        guard !packet.isEmpty, packet.count <= Self.maximumPacketBytes, let base = packet.baseAddress,
              vnetHeader || offload == .none else {
            stats.value.withLock { $0.sendErrors += 1 }
            return
        }
        let superSegment = offload.segmentSize > 0
        while true {
            let n: Int, expected: Int
            if vnetHeader {
                expected = packet.count + VirtioNetHeader.size
                var raw: (UInt64, UInt16) = (0, 0)   // the header's 10 bytes, on the stack
                n = withUnsafeMutableBytes(of: &raw) { header in
                    VirtioNetHeader(offload).encode(into: header)
                    return withUnsafeTemporaryAllocation(of: iovec.self, capacity: 2) { iov in
                        iov[0] = iovec(iov_base: header.baseAddress, iov_len: VirtioNetHeader.size)
                        iov[1] = iovec(iov_base: UnsafeMutableRawPointer(mutating: base), iov_len: packet.count)
                        return writev(fd, iov.baseAddress, 2)
                    }
                }
            } else {
                expected = packet.count
                n = write(fd, base, packet.count)
            }
            if n == expected {
                stats.value.withLock {
                    $0.packetsSent += 1; $0.bytesSent += packet.count
                    if superSegment { $0.superSegmentsSent += 1 }
                }
                return
            }
            let e = errno
            if n < 0 && e == EINTR { continue }
            stats.value.withLock {
                if n < 0 && (e == EAGAIN || e == EWOULDBLOCK || e == ENOBUFS) { $0.sendDropped += 1 } else { $0.sendErrors += 1 }
            }
            return
        }
    }

    /// Stops the reader thread and waits for it: once `stop` returns, `receive` is not called
    /// again. The descriptor stays open (and the interface exists) until the device goes away.
    public func stop() {
        let thread: pthread_t? = run.withLock { s in
            guard s.started, !s.stopped else { s.stopped = true; return nil }
            s.stopped = true
            defer { s.thread = nil }
            return s.thread
        }
        guard let thread else { return }
        var one: UInt8 = 1
        _ = Glibc.write(wakeWrite, &one, 1)
        if pthread_equal(thread, pthread_self()) == 0 { pthread_join(thread, nil) } else { pthread_detach(thread) }
    }

    public var statistics: Statistics { stats.value.withLock { $0 } }

    /// What one read gave.
    private enum ReadOutcome {
        /// A packet of this length, with what its header said.
        case packet(Int, PacketOffload)
        /// A packet was read and dropped (its header could not be honoured, or it was empty).
        case dropped
    }

    /// Reads one packet into `buffer` (with offloads, its header into a local beside it: readv(2)),
    /// counting it; nil when none waits or the read failed (counted).
    private static func readOne(fd: Int32, vnet: Bool, into buffer: UnsafeMutableRawBufferPointer, stats: Counters) -> ReadOutcome? {
        guard let base = buffer.baseAddress else { return nil }
        while true {
            var raw: (UInt64, UInt16) = (0, 0)   // the header's 10 bytes, on the stack
            let n: Int
            if vnet {
                n = withUnsafeMutableBytes(of: &raw) { header in
                    withUnsafeTemporaryAllocation(of: iovec.self, capacity: 2) { iov in
                        iov[0] = iovec(iov_base: header.baseAddress, iov_len: VirtioNetHeader.size)
                        iov[1] = iovec(iov_base: base, iov_len: buffer.count)
                        return readv(fd, iov.baseAddress, 2)
                    }
                }
            } else {
                n = read(fd, base, buffer.count)
            }
            if n > 0 {
                guard vnet else {
                    stats.value.withLock { $0.packetsReceived += 1; $0.bytesReceived += n }
                    return .packet(n, .none)
                }
                let length = n - VirtioNetHeader.size
                let decoded: Result<PacketOffload, VirtioNetHeader.DecodeError>? = withUnsafeBytes(of: &raw) { header in
                    VirtioNetHeader(header).map { h in Result { () throws(VirtioNetHeader.DecodeError) in try h.offload() } }
                }
                guard length > 0, case .success(let offload)? = decoded else {
                    stats.value.withLock { $0.badOffloadHeaders += 1 }
                    return .dropped
                }
                stats.value.withLock {
                    $0.packetsReceived += 1; $0.bytesReceived += length
                    if offload.segmentSize > 0 { $0.superSegmentsReceived += 1 }
                    if case .partial = offload.checksum { $0.partialChecksumsReceived += 1 }
                }
                return .packet(length, offload)
            }
            let e = errno
            if n < 0 && e == EINTR { continue }
            if n < 0 && (e == EAGAIN || e == EWOULDBLOCK) { return nil }
            stats.value.withLock { $0.readErrors += 1 }
            return nil
        }
    }

    /// Completes a partial checksum of a received packet, for callers that expect whole packets.
    private static func completeInSoftware(_ packet: UnsafeMutableRawBufferPointer, _ offload: PacketOffload, stats: Counters) {
        guard case .partial(let start, let offset) = offload.checksum else { return }
        guard start >= 0, offset >= 0, start + offset + 2 <= packet.count else { return }   // left to fail verification
        TCPPacket.completeChecksum(packet, start: start, offset: offset)
        stats.value.withLock { $0.checksumsCompleted += 1 }
    }

    /// The reader: poll for the TUN descriptor or the wake-up, then read packets until EAGAIN.
    private static func readLoop(fd: Int32, vnet: Bool, wake: Int32, stats: Counters, receive: (UnsafeRawBufferPointer) -> Void) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: maximumPacketBytes, alignment: 16)
        defer { buffer.deallocate() }
        var fds = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0), pollfd(fd: wake, events: Int16(POLLIN), revents: 0)]
        while true {
            fds[0].revents = 0
            fds[1].revents = 0
            let r = poll(&fds, 2, -1)
            if r < 0 {
                if errno == EINTR { continue }
                stats.value.withLock { $0.readErrors += 1 }
                return
            }
            if fds[1].revents != 0 { return }
            if fds[0].revents & Int16(POLLERR | POLLHUP | POLLNVAL) != 0 && fds[0].revents & Int16(POLLIN) == 0 {
                stats.value.withLock { $0.readErrors += 1 }
                return
            }
            // Drain what is queued, but look at the wake-up at least every 256 packets.
            for _ in 0..<256 {
                guard let outcome = readOne(fd: fd, vnet: vnet, into: buffer, stats: stats) else { break }
                guard case .packet(let n, let offload) = outcome else { continue }
                let packet = UnsafeMutableRawBufferPointer(rebasing: buffer[..<n])
                completeInSoftware(packet, offload, stats: stats)
                receive(UnsafeRawBufferPointer(packet))
            }
        }
    }
}
#endif
