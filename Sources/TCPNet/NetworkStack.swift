import Synchronization
import TCPCore
import TCPWire

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Which way a packet went through the device.
public enum PacketDirection: String, Sendable, Hashable {
    case received
    case sent
}

/// A userspace TCP/IP stack on a packet device: the async/await face of `TCPStack`.
///
/// It runs one `TCPStack` on its own event loop (one thread): packets from the device, the
/// engine's timers and your calls all happen there, in order. All methods may be called from any
/// task or thread. A pollable device (`TUNDevice`) is read on that thread too.
///
/// Handlers can run on that thread as well: `executor` is the loop as a `TaskExecutor`, and a task
/// that prefers it (`withTaskExecutorPreference(stack.executor) { ... }`, inherited by child
/// tasks) reads and writes without any thread hop — a read that finds bytes and a write that fits
/// the send buffer return without suspending. Only for handlers that never block: while one runs,
/// the whole stack waits (docs/tun.md, "Handlers on the stack's thread").
///
/// ```swift
/// let stack = try NetworkStack(device: device, addresses: [IPAddress("198.18.0.2")!])
/// let listener = try stack.listen(port: 7)
/// for try await connection in listener {                 // echo server
///     Task { for try await chunk in connection { try await connection.write(chunk) }
///            await connection.close() }
/// }
/// ```
///
/// Call `shutdown()` when done: it closes every connection and stops the device. The loop's thread
/// ends when the stack and every connection and listener from it are gone.
public final class NetworkStack: Sendable {
    /// Observers, called on the stack's event loop thread: keep them short and never block.
    public struct Hooks: Sendable {
        /// Every trace record of the engine (turns on `TCPConfiguration.trace`). Feed them to a
        /// `TCPTrace` timeline to draw ladders.
        public var trace: (@Sendable (TraceRecord) -> Void)?
        /// Every packet received from or sent to the device, with its time on the engine clock
        /// (add `NetworkStack.wallClockAtZero` for wall-clock time, e.g. for a pcap). The buffer is
        /// valid only during the call.
        public var packets: (@Sendable (PacketDirection, Instant, UnsafeRawBufferPointer) -> Void)?

        public init(trace: (@Sendable (TraceRecord) -> Void)? = nil,
                    packets: (@Sendable (PacketDirection, Instant, UnsafeRawBufferPointer) -> Void)? = nil) {
            self.trace = trace
            self.packets = packets
        }
    }

    /// The shards: one engine on one event loop each, over one device (queue) each.
    let cores: [StackCore]
    /// The first shard (the only one of an unsharded stack).
    var core: StackCore { cores[0] }
    /// Where `connect` starts looking for the least loaded shard (round robin among equals).
    let nextShard = Atomic<Int>(0)

    /// Wall-clock time (since the Unix epoch) at the engine's `Instant.zero` (every shard's).
    public let wallClockAtZero: Duration

    /// The addresses the stack answers for.
    public let addresses: [IPAddress]

    /// Why a sharded stack could not be configured.
    public enum ShardingError: Error, Equatable, Sendable, CustomStringConvertible {
        /// No device was given.
        case noDevices
        /// `TCPConfiguration.ephemeralPorts` has fewer ports than there are shards.
        case tooFewEphemeralPorts(ports: Int, shards: Int)

        public var description: String {
            switch self {
            case .noDevices: "a NetworkStack needs at least one device"
            case .tooFewEphemeralPorts(let p, let n): "\(p) ephemeral ports cannot be split among \(n) shards"
            }
        }
    }

    /// Starts a stack on `device` answering for `addresses` (TCP, and ICMP echo).
    /// - Parameters:
    ///   - seed: seeds the engine's randomness (ISN secret, SYN-cookie and Fast Open secrets,
    ///     ephemeral ports) for a reproducible run, not for production: whoever knows or recovers
    ///     the seed predicts ISNs and forges cookies. nil (the default): ports from a generator
    ///     seeded by the system, every secret drawn from the system's cryptographic generator
    ///     (`SecretSource.system`).
    ///   - inboxLimitBytes: bound on received packets waiting for the loop (beyond: dropped, counted).
    ///     Unused when the loop reads the device itself.
    ///   - pollDevice: when the device is a `PollablePacketDevice`, the loop reads it itself (the
    ///     default); false makes it deliver through `start(receive:)` as any device does.
    /// - Throws: what `device.start` (or `startPolled`) throws.
    public convenience init(device: some PacketDevice, addresses: [IPAddress], configuration: TCPConfiguration = TCPConfiguration(),
                            hooks: Hooks = Hooks(), seed: UInt64? = nil, inboxLimitBytes: Int = 8 << 20, pollDevice: Bool = true) throws {
        try self.init(devices: [device], addresses: addresses, configuration: configuration, hooks: hooks, seed: seed,
                      inboxLimitBytes: inboxLimitBytes, pollDevice: pollDevice)
    }

    /// Starts a sharded stack: one shard per device, each an engine (`TCPStack`) on an event loop
    /// (thread) of its own, reading and writing its own device — typically the queues of one
    /// multi-queue TUN interface (`TUNDevice.openQueues`), one per core. One device is the
    /// unsharded stack of `init(device:...)`.
    ///
    /// A connection lives on one shard for its whole life: `connect` opens it on the shard with
    /// the fewest open connections (round robin among equals) and its packets leave through that
    /// shard's device, which is what makes a multi-queue TUN device steer the flow's incoming
    /// packets back to that queue; an incoming SYN opens its connection on the shard whose device
    /// delivered it. A segment that reaches a shard without its connection is handed to the shard
    /// that has it (see `ShardRouter`). Each shard draws ephemeral ports from its own slice of
    /// `configuration.ephemeralPorts` and has `bufferMemoryLimit / devices.count` of buffer
    /// memory, so the stack as a whole keeps the configured limits. Listeners listen on every
    /// shard; `statistics()` sums the shards (`shardStatistics()` has each one's).
    ///
    /// Hooks are called on each shard's thread, so possibly at the same time on several.
    /// - Throws: `ShardingError`, or what a device's `start` (or `startPolled`) throws (the shards
    ///   already started are stopped).
    public init(devices: [any PacketDevice], addresses: [IPAddress], configuration: TCPConfiguration = TCPConfiguration(),
                hooks: Hooks = Hooks(), seed: UInt64? = nil, inboxLimitBytes: Int = 8 << 20, pollDevice: Bool = true) throws {
        guard !devices.isEmpty else { throw ShardingError.noDevices }
        let n = devices.count
        let router = n > 1 ? ShardRouter(shards: n) : nil
        let origin = StackLoop.uptimeNanoseconds()
        var cores: [StackCore] = []
        var polled: [(any PollablePacketDevice)?] = []
        for (index, device) in devices.enumerated() {
            var shardConfiguration = configuration
            if n > 1 {
                guard let ports = ShardRouter.ephemeralPorts(configuration.ephemeralPorts, shard: index, of: n) else {
                    throw ShardingError.tooFewEphemeralPorts(ports: configuration.ephemeralPorts.count, shards: n)
                }
                shardConfiguration.ephemeralPorts = ports
                shardConfiguration.bufferMemoryLimit = configuration.bufferMemoryLimit / n
            }
            let pollable = pollDevice ? device as? any PollablePacketDevice : nil
            polled.append(pollable)
            // One seed for every shard: the same ISN and SYN-cookie secrets stack-wide. Without a
            // seed each shard draws its own secrets from the system.
            cores.append(StackCore(device: device, polled: pollable != nil, addresses: addresses, configuration: shardConfiguration,
                                   hooks: hooks, seed: seed, inboxLimitBytes: inboxLimitBytes,
                                   shard: index, router: router, originUptimeNanoseconds: origin))
        }
        router?.attach(cores)
        self.cores = cores
        self.addresses = addresses
        var realtime = timespec()
        clock_gettime(CLOCK_REALTIME, &realtime)
        let elapsed = StackLoop.uptimeNanoseconds() &- origin
        wallClockAtZero = .seconds(realtime.tv_sec) + .nanoseconds(realtime.tv_nsec) - .nanoseconds(Int64(elapsed))
        for core in cores {
            let loop = core.loop
            loop.execute { core.assumeIsolated { $0.attach() } }
        }
        do {
            for (core, pollable) in zip(cores, polled) {
                let loop = core.loop
                if let pollable {
                    try pollable.startPolled()
                    loop.execute { core.assumeIsolated { $0.startPolling(pollable) } }
                } else {
                    let inbox = core.inbox
                    try core.device.start { packet in
                        if inbox.push(packet) {
                            loop.execute { core.assumeIsolated { $0.drainInbox() } }
                        }
                    }
                }
            }
        } catch {
            for core in cores { core.loop.execute { core.assumeIsolated { $0.stop() } } }
            throw error
        }
    }

    /// The number of shards (devices).
    public var shardCount: Int { cores.count }

    /// The stack's event loop as a task executor: handlers that prefer it run on the stack's own
    /// thread (see the type's documentation, and docs/tun.md for when not to). A sharded stack's
    /// first shard; prefer `TCPConnection.executor`, the loop of the connection's own shard.
    public var executor: any TaskExecutor { core.loop.taskExecutor }

    /// The event loop of shard `index` (0..<shardCount) as a task executor.
    public func executor(ofShard index: Int) -> any TaskExecutor { cores[index].loop.taskExecutor }

    deinit {
        // Nobody holds a connection or listener of ours any more: stop at once.
        for core in cores { core.loop.execute { core.assumeIsolated { $0.stop() } } }
    }

    /// The shard a new outgoing connection goes to: the one with the fewest connection handles
    /// alive, the round robin deciding among equals.
    func shardForConnect() -> StackCore {
        guard cores.count > 1 else { return core }
        let start = nextShard.wrappingAdd(1, ordering: .relaxed).oldValue
        var best = cores[start % cores.count]
        var least = best.handles.load(ordering: .relaxed)
        for k in 1..<cores.count {
            let candidate = cores[(start + k) % cores.count]
            let load = candidate.handles.load(ordering: .relaxed)
            if load < least { best = candidate; least = load }
        }
        return best
    }

    /// Active open (RFC 9293 §3.10.1): returns once the handshake has completed.
    /// - Parameter from: the local address (default: the first of the remote's IP version).
    /// - Parameter options: the connection's options from its SYN on (its DSCP, say; default:
    ///   the configuration's).
    /// - Throws: `.refused` (RST to our SYN), `.timedOut` (no answer after the SYN retries),
    ///   `.addressNotAvailable`, `.noEphemeralPort`, `.stackShutDown`, `.cancelled`,
    ///   `.invalidDestination` (an unspecified, broadcast or multicast address, RFC 9293 MUST-46).
    public func connect(to remote: TCPWire.SocketAddress, from local: IPAddress? = nil,
                        options: ConnectionOptions? = nil) async throws(TCPConnectionError) -> TCPConnection {
        let shard = shardForConnect()
        let opened = try await shard.connect(to: remote, from: local, options: options)
        return TCPConnection(stack: self, core: shard, opened: opened)
    }

    /// Passive open (RFC 9293 §3.10.1) on `port` (at `address`, or every address of the stack).
    /// The returned listener is an `AsyncSequence` of accepted connections. Connections that
    /// complete the handshake wait in the engine's accept queue (up to `backlog`) until taken.
    ///
    /// Synchronous: off the stack's loop it waits briefly for the loop to register the listener.
    /// A sharded stack listens on every shard, each with `backlog`; `accept` takes from all.
    /// `options` go to the connections it accepts and to its SYN-ACKs (default: the configuration's).
    public func listen(port: UInt16, address: IPAddress? = nil, backlog: Int = 128,
                       options: ConnectionOptions? = nil) throws(TCPConnectionError) -> TCPListener {
        var ids: [ListenerID] = []
        let gate = cores.count > 1 ? AcceptGate(shards: cores.count) : nil
        for core in cores {
            let result: Result<ListenerID, TCPConnectionError>
            // The loop lives as long as `core`, which we hold: the call always completes.
            result = core.loop.runAndWait {
                core.assumeIsolated { c in
                    Result { () throws(TCPConnectionError) in
                        let id = try c.listen(port: port, address: address, backlog: backlog, options: options)
                        if let gate { c.acceptGates[id] = gate }
                        return id
                    }
                }
            }
            switch result {
            case .success(let id): ids.append(id)
            case .failure(let error):
                for (core, id) in zip(cores, ids) { core.loop.execute { core.onLoop { $0.closeListener(id) } } }
                throw error
            }
        }
        return TCPListener(stack: self, ids: ids, port: port, gate: gate)
    }

    /// Closes every listener and connection (FIN after the queued data; RST where received data
    /// was left unread), waits up to `gracePeriod` for the closing handshakes (each connection
    /// CLOSED or in TIME-WAIT, i.e. the peers closed too; connections closed earlier by the
    /// application are waited for as well), and stops the device. When time is up,
    /// connections in FIN-WAIT-2 (all our data and FIN acknowledged) are dropped quietly, the
    /// others are reset. Afterwards every call fails with `.closed` or `.stackShutDown`, and
    /// listeners' sequences end. Safe to call more than once (later calls wait for the first).
    /// A sharded stack shuts its shards down side by side.
    public func shutdown(gracePeriod: Duration = .seconds(2)) async {
        guard cores.count > 1 else { return await core.shutdown(gracePeriod: gracePeriod) }
        await withTaskGroup(of: Void.self) { group in
            for core in cores { group.addTask { await core.shutdown(gracePeriod: gracePeriod) } }
        }
    }

    /// The driver's and the engine's counters: of a sharded stack, the sum over its shards.
    public func statistics() async -> NetworkStatistics {
        guard cores.count > 1 else { return await core.snapshot() }
        let shards = await shardStatistics()
        var total = shards[0]
        for s in shards.dropFirst() {
            total.driver.add(s.driver)
            total.tcp.add(s.tcp)
            total.connections += s.connections
        }
        return total
    }

    /// Each shard's counters, in shard order (one element for an unsharded stack).
    public func shardStatistics() async -> [NetworkStatistics] {
        var all: [NetworkStatistics] = []
        for core in cores { all.append(await core.snapshot()) }
        return all
    }
}
