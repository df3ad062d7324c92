import Dispatch
import Synchronization
import TCPCore
import TCPNet
import TCPTrace
import TCPWire
#if canImport(Glibc)
import Glibc
#endif

/// A `NetworkStack` on a TUN interface, run as a command does (`tcpkit tun`): it opens and
/// configures the interface, wraps it in the faults asked for, draws the trace and writes the
/// capture, stops cleanly on SIGINT, SIGTERM or at the end of a duration, and prints a statistics
/// line on standard error at the end.
///
/// An application-level piece (process signals, `_exit`, standard error), which is why it lives
/// here and not in `TCPNet`, the driver.
public final class TunSession: Sendable {
    /// What the session opens.
    public struct Configuration: Sendable {
        /// Name of the TUN interface to create.
        public var device: String
        /// The kernel's addresses on the interface, each with its prefix length ("198.18.0.1/24").
        public var kernelAddresses: [String]
        /// The stack's own addresses (the first one labels our side of the ladder).
        public var addresses: [IPAddress]
        /// Draw every segment, state change, drop and timer as a ladder on standard error.
        public var trace: Bool
        /// The columns that ladder fits (nil: its full width).
        public var traceWidth: Int?
        /// Write every packet through the interface to this pcap file.
        public var pcap: String?
        /// Our side's faults, each way.
        public var faults: FaultyDevice.Faults
        /// Seed of the faults and (xor 0x5EED) of the stack's ISNs, ports and secrets (reproducible,
        /// not for production); nil: random, the secrets from the system's generator.
        public var seed: UInt64?
        /// What the lines on standard error start with, and our side's name in the ladder.
        public var name: String
        /// TUN offloads (`TUNDevice`'s `offload`): checksum and segmentation left to the kernel,
        /// super-segments of up to 64 KiB each way. False: plain packets (`--no-offload`).
        public var offload: Bool
        /// Shards of the stack: with more than one, the interface is multi-queue (IFF_MULTI_QUEUE)
        /// and each queue has an engine and an event loop (thread) of its own
        /// (`NetworkStack(devices:...)`).
        public var shards: Int = 1

        public init(device: String, kernelAddresses: [String], addresses: [IPAddress], trace: Bool = false,
                    pcap: String? = nil, faults: FaultyDevice.Faults = .init(), seed: UInt64? = nil, name: String = "tcpkit",
                    traceWidth: Int? = nil, offload: Bool = true, shards: Int = 1) {
            self.offload = offload
            self.shards = shards
            self.device = device
            self.kernelAddresses = kernelAddresses
            self.addresses = addresses
            self.trace = trace
            self.pcap = pcap
            self.faults = faults
            self.seed = seed
            self.name = name
            self.traceWidth = traceWidth
        }
    }

    /// Why a session could not open.
    public enum OpenError: Error, CustomStringConvertible {
        /// The interface could not be created or configured (`isUnavailable`: no root, no
        /// /dev/net/tun).
        case device(TUNError)
        /// The capture file could not be created.
        case pcap(path: String)

        public var description: String {
            switch self {
            case .device(let e): "\(e)"
            case .pcap(let path): "cannot open \(path) for writing"
            }
        }
    }

    public let stack: NetworkStack
    /// The interface (its first queue when it has several).
    public var tun: TUNDevice { queues[0] }
    /// The interface's queues, one per shard.
    public let queues: [TUNDevice]
    /// The fault-injecting wrapper around `tun`, when faults were asked for.
    public var faulty: FaultyDevice? { faultyQueues.first }
    /// The fault-injecting wrappers around the queues, one each, when faults were asked for.
    public let faultyQueues: [FaultyDevice]
    /// The seed in use (drawn when the configuration had none).
    public let seed: UInt64
    let output: TunOutput
    let name: String
    /// Connections held until `finish` has shut the stack down (see `keep`).
    private let kept = Mutex<[TCPConnection]>([])

    /// Keeps `c` referenced until the stack has shut down, so that shutdown closes it and waits
    /// for its closing handshake.
    public func keep(_ c: TCPConnection) { kept.withLock { $0.append(c) } }

    /// Opens the device, configures the kernel's side, wraps the faults and starts the stack.
    /// - Throws: `OpenError` (device, pcap file), or what starting the stack on the device throws.
    public init(_ configuration: Configuration) throws {
        // SIGINT and SIGTERM must reach the handlers of `run` even when the parent started us
        // with them blocked; threads created from here on inherit this mask.
        var stopSignals = sigset_t()
        sigemptyset(&stopSignals)
        sigaddset(&stopSignals, SIGINT)
        sigaddset(&stopSignals, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &stopSignals, nil)
        name = configuration.name
        queues = try Self.openDevice(configuration)
        if case .refused = queues[0].offloadStatus {
            FileOutput.standardError.line("\(name): TUN offloads \(queues[0].offloadStatus)")
        }
        let seed = configuration.seed ?? UInt64.random(in: .min ... .max)
        self.seed = seed
        let faults = configuration.faults
        faultyQueues = faults.isNone ? [] : queues.enumerated().map { FaultyDevice(wrapping: $1, faults: faults, seed: seed &+ UInt64($0)) }
        output = try TunOutput(trace: configuration.trace, pcap: configuration.pcap, local: configuration.name,
                               labels: configuration.addresses.first.map { "\($0)" } ?? "",
                               width: configuration.traceWidth)
        var hooks = NetworkStack.Hooks()
        if configuration.trace { hooks.trace = { [output] r in output.trace(r) } }
        if configuration.pcap != nil { hooks.packets = { [output] _, _, p in output.capture(p) } }
        let devices: [any PacketDevice] = faultyQueues.isEmpty ? queues : faultyQueues
        stack = try NetworkStack(devices: devices, addresses: configuration.addresses, hooks: hooks,
                                 seed: configuration.seed.map { $0 ^ 0x5EED })
        if !faults.isNone {
            FileOutput.standardError.line("\(name): faults each way: loss \(faults.loss), reorder \(faults.reorder), duplicate \(faults.duplicate); seed \(seed)")
        }
    }

    /// The TUN interface (its queues) with the kernel's side configured.
    static func openDevice(_ c: Configuration) throws(OpenError) -> [TUNDevice] {
        do {
            let t = c.shards > 1 ? try TUNDevice.openQueues(name: c.device, count: c.shards, offload: c.offload)
                                 : [try TUNDevice(name: c.device, offload: c.offload)]
            try KernelSide.configure(device: c.device, addresses: c.kernelAddresses)
            return t
        } catch {
            throw .device(error)
        }
    }

    /// Closes everything cleanly, then prints what happened on standard error.
    func finish() async {
        await stack.shutdown(gracePeriod: .seconds(2))
        kept.withLock { $0.removeAll() }
        let s = await stack.statistics()
        output.close()
        var line = "\(name): \(s.driver.packetsReceived) packets in, \(s.driver.packetsSent) out; \(s.driver.icmpEchoRequestsAnswered) pings answered"
        if queues[0].offloadActive {
            var superIn = 0, superOut = 0
            for q in queues {
                let t = q.statistics
                superIn += t.superSegmentsReceived
                superOut += t.superSegmentsSent
            }
            line += "; offloads: \(superIn) super-segments in, \(superOut) out"
        }
        if s.driver.icmpErrorsPassedUp > 0 {
            // ICMP errors the engine was given (RFC 9293 §3.9.2.2), and the send MSS reductions
            // path MTU discovery made from them (RFC 1191).
            line += "; ICMP errors: \(s.driver.icmpErrorsPassedUp), path MTU reductions: \(s.tcp.pathMTUReductions)"
        }
        if stack.shardCount > 1 {
            let shards = await stack.shardStatistics()
            line += "; shards: " + shards.map { "\($0.driver.packetsReceived) in/\($0.driver.packetsSent) out" }.joined(separator: ", ")
            line += "; handed between shards: \(s.driver.segmentsHandedOff)"
        }
        if !faultyQueues.isEmpty {
            var a = FaultyDevice.Counters(), b = FaultyDevice.Counters()
            for f in faultyQueues {
                let s = f.sentCounters, r = f.receivedCounters
                a.lost += s.lost; a.reordered += s.reordered; a.duplicated += s.duplicated
                b.lost += r.lost; b.reordered += r.reordered; b.duplicated += r.duplicated
            }
            line += "; faults out: \(a.lost) lost, \(a.reordered) reordered, \(a.duplicated) duplicated; in: \(b.lost) lost, \(b.reordered) reordered, \(b.duplicated) duplicated"
        }
        FileOutput.standardError.line(line)
    }

    static func monotonicNanoseconds() -> Int64 {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Int64(t.tv_sec) * 1_000_000_000 + Int64(t.tv_nsec)
    }

    /// Runs `body` until it returns, SIGINT or SIGTERM arrives, or `duration` passes; then
    /// `finish()`. A signal or the duration ends `body` by shutting the stack down (its
    /// listeners end and its connections close with FIN), which is how the body learns of it.
    /// - Throws: what `body` threw, after `finish()`.
    public func run(duration: Double?, _ body: @escaping @Sendable (TunSession) async throws -> Void) async throws {
        let stopped = Atomic<Bool>(false)
        let stoppedAt = Atomic<Int64>(0)
        let name = self.name
        // The first SIGINT/SIGTERM (or the end of --duration) closes everything cleanly; a second
        // signal at least a second later, or a clean stop that takes more than 10 s, ends the
        // process at once. (A Ctrl-C reaches every process of the terminal's foreground group, and
        // `timeout` passes its own on: the same keypress may arrive twice.)
        let stop: @Sendable () -> Void = { [self] in
            guard !stopped.exchange(true, ordering: .relaxed) else { return }
            stoppedAt.store(Self.monotonicNanoseconds(), ordering: .relaxed)
            Task { await self.stack.shutdown(gracePeriod: .seconds(2)) }
            DispatchQueue.global().asyncAfter(deadline: .now() + 10) {
                FileOutput.standardError.line("\(name): error: the stack did not stop within 10 s; exiting")
                _exit(1)
            }
        }
        let signals = [SIGINT, SIGTERM].map { sig -> DispatchSourceSignal in
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                if stopped.load(ordering: .relaxed) {
                    if Self.monotonicNanoseconds() - stoppedAt.load(ordering: .relaxed) >= 1_000_000_000 { _exit(128 + sig) }
                    return
                }
                stop()
            }
            source.resume()
            return source
        }
        let timer = duration.map { d in Task { try? await Task.sleep(for: .milliseconds(Int(d * 1000))); if !Task.isCancelled { stop() } } }
        defer {
            timer?.cancel()
            for s in signals { s.cancel() }
        }
        var failure: (any Error)? = nil
        do { try await body(self) } catch { failure = error }
        await finish()
        if let failure { throw failure }
    }
}
