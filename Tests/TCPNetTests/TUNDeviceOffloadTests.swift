#if canImport(Glibc)
import Glibc
import Synchronization
import Testing
@testable import TCPNet

/// How `TUNDevice` decides on offloads when it opens the interface, with the system calls played
/// by the test (no root needed): ask for IFF_VNET_HDR and TUNSETOFFLOAD, and when the kernel
/// refuses, open again exactly as without offloads.
@Suite struct TUNDeviceOffloadTests {
    enum Call: Equatable {
        case open(fd: Int32)
        case setInterface(fd: Int32, flags: UInt16)
        case setOffload(fd: Int32, flags: UInt)
        case close(fd: Int32)
    }

    /// A kernel whose answers the test chooses: `setInterface` and `setOffload` answer from lists
    /// (one errno per call, 0 = success; past the end, success).
    final class FakeKernel: Sendable {
        let calls = Mutex<[Call]>([])
        let nextFD = Atomic<Int32>(10)
        let interfaceAnswers: Mutex<[Int32]>
        let offloadAnswers: Mutex<[Int32]>

        init(interface: [Int32] = [], offload: [Int32] = []) {
            interfaceAnswers = Mutex(interface)
            offloadAnswers = Mutex(offload)
        }

        static func next(_ m: borrowing Mutex<[Int32]>) -> Int32 {
            m.withLock { $0.isEmpty ? 0 : $0.removeFirst() }
        }

        var system: TUNDevice.System {
            TUNDevice.System(
                openDevice: { [self] in
                    let fd = nextFD.wrappingAdd(1, ordering: .relaxed).newValue
                    calls.withLock { $0.append(.open(fd: fd)) }
                    return fd
                },
                setInterface: { [self] fd, ifr in
                    let flags = ifr.loadUnaligned(fromByteOffset: TUNDevice.ifreqFlagsOffset, as: UInt16.self)
                    calls.withLock { $0.append(.setInterface(fd: fd, flags: flags)) }
                    return Self.next(interfaceAnswers)
                },
                setOffload: { [self] fd, flags in
                    calls.withLock { $0.append(.setOffload(fd: fd, flags: flags)) }
                    return Self.next(offloadAnswers)
                },
                close: { [self] fd in calls.withLock { $0.append(.close(fd: fd)) } })
        }

        var log: [Call] { calls.withLock { $0 } }
    }

    static let plain: UInt16 = 0x0001 | 0x1000          // IFF_TUN | IFF_NO_PI
    static let vnet: UInt16 = 0x0001 | 0x1000 | 0x4000  // ... | IFF_VNET_HDR
    static let offloads: UInt = 0x01 | 0x02 | 0x04      // TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6

    static func open(_ k: FakeKernel, offload: Bool) -> Result<TUNDevice.Opened, TUNError> {
        TUNDevice.open(name: "tcpkit0", offload: offload, system: k.system)
    }

    @Test func offloadsOnWhenTheKernelAgrees() throws {
        let k = FakeKernel()
        let opened = try Self.open(k, offload: true).get()
        #expect(opened.status == .on)
        #expect(opened.fd == 11)
        #expect(k.log == [.open(fd: 11), .setInterface(fd: 11, flags: Self.vnet), .setOffload(fd: 11, flags: Self.offloads)])
    }

    @Test func withoutOffloadsNoHeaderIsAskedFor() throws {
        let k = FakeKernel()
        let opened = try Self.open(k, offload: false).get()
        #expect(opened.status == .off)
        #expect(k.log == [.open(fd: 11), .setInterface(fd: 11, flags: Self.plain)])
    }

    /// TUNSETOFFLOAD refused (an old kernel without TSO6, say): the descriptor with the header is
    /// closed and the interface opened again without it, so that nothing differs from `.off`.
    @Test func refusedOffloadsFallBackToAPlainDescriptor() throws {
        let k = FakeKernel(offload: [EINVAL])
        let opened = try Self.open(k, offload: true).get()
        #expect(opened.status == .refused(errno: EINVAL))
        #expect(opened.fd == 12)
        #expect(k.log == [.open(fd: 11), .setInterface(fd: 11, flags: Self.vnet), .setOffload(fd: 11, flags: Self.offloads),
                          .close(fd: 11), .open(fd: 12), .setInterface(fd: 12, flags: Self.plain)])
    }

    @Test func refusedVnetHeaderFallsBackToAPlainDescriptor() throws {
        let k = FakeKernel(interface: [EINVAL])
        let opened = try Self.open(k, offload: true).get()
        #expect(opened.status == .refused(errno: EINVAL))
        #expect(k.log == [.open(fd: 11), .setInterface(fd: 11, flags: Self.vnet), .close(fd: 11),
                          .open(fd: 12), .setInterface(fd: 12, flags: Self.plain)])
    }

    /// Errors that are not about offloads are reported as they are, without a second try; a name
    /// in use is reported after the plain try fails the same way.
    @Test func otherErrorsAreNotMaskedByTheFallback() {
        let denied = FakeKernel(interface: [EPERM])
        #expect(throws: TUNError.notPermitted) { try Self.open(denied, offload: true).get() }
        #expect(denied.log == [.open(fd: 11), .setInterface(fd: 11, flags: Self.vnet), .close(fd: 11)])
        let busy = FakeKernel(interface: [EBUSY])
        #expect(throws: TUNError.nameInUse("tcpkit0")) { try Self.open(busy, offload: true).get() }
        let taken = FakeKernel(interface: [EINVAL, EINVAL])
        #expect(throws: TUNError.nameInUse("tcpkit0")) { try Self.open(taken, offload: true).get() }
        #expect(taken.log.count == 6)
    }

    @Test func statusDescriptions() {
        #expect(TUNDevice.OffloadStatus.off.description == "off")
        #expect(TUNDevice.OffloadStatus.refused(errno: EINVAL).description.contains("refused"))
    }
}
#endif
