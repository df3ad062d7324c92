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

    let core: StackCore

    /// Wall-clock time (since the Unix epoch) at the engine's `Instant.zero`.
    public let wallClockAtZero: Duration

    /// The addresses the stack answers for.
    public let addresses: [IPAddress]

    /// Starts a stack on `device` answering for `addresses` (TCP, and ICMP echo).
    /// - Parameters:
    ///   - seed: seeds the engine's randomness (ISN secret, ephemeral ports) for a reproducible run;
    ///     nil draws it from the system.
    ///   - inboxLimitBytes: bound on received packets waiting for the loop (beyond: dropped, counted).
    ///     Unused when the loop reads the device itself.
    ///   - pollDevice: when the device is a `PollablePacketDevice`, the loop reads it itself (the
    ///     default); false makes it deliver through `start(receive:)` as any device does.
    /// - Throws: what `device.start` (or `startPolled`) throws.
    public init(device: some PacketDevice, addresses: [IPAddress], configuration: TCPConfiguration = TCPConfiguration(),
                hooks: Hooks = Hooks(), seed: UInt64? = nil, inboxLimitBytes: Int = 8 << 20, pollDevice: Bool = true) throws {
        let pollable = pollDevice ? device as? any PollablePacketDevice : nil
        let core = StackCore(device: device, polled: pollable != nil, addresses: addresses, configuration: configuration,
                             hooks: hooks, seed: seed, inboxLimitBytes: inboxLimitBytes)
        self.core = core
        self.addresses = addresses
        var realtime = timespec()
        clock_gettime(CLOCK_REALTIME, &realtime)
        let elapsed = StackLoop.uptimeNanoseconds() &- core.originUptimeNanoseconds
        wallClockAtZero = .seconds(realtime.tv_sec) + .nanoseconds(realtime.tv_nsec) - .nanoseconds(Int64(elapsed))
        let inbox = core.inbox
        let loop = core.loop
        loop.execute { core.assumeIsolated { $0.attach() } }
        do {
            if let pollable {
                try pollable.startPolled()
                loop.execute { core.assumeIsolated { $0.startPolling(pollable) } }
            } else {
                try device.start { packet in
                    if inbox.push(packet) {
                        loop.execute { core.assumeIsolated { $0.drainInbox() } }
                    }
                }
            }
        } catch {
            core.loop.execute { core.assumeIsolated { $0.stop() } }
            throw error
        }
    }

    /// The stack's event loop as a task executor: handlers that prefer it run on the stack's own
    /// thread (see the type's documentation, and docs/tun.md for when not to).
    public var executor: any TaskExecutor { core.loop.taskExecutor }

    deinit {
        // Nobody holds a connection or listener of ours any more: stop at once.
        let core = self.core
        core.loop.execute { core.assumeIsolated { $0.stop() } }
    }

    /// Active open (RFC 9293 §3.10.1): returns once the handshake has completed.
    /// - Parameter from: the local address (default: the first of the remote's IP version).
    /// - Throws: `.refused` (RST to our SYN), `.timedOut` (no answer after the SYN retries),
    ///   `.addressNotAvailable`, `.noEphemeralPort`, `.stackShutDown`, `.cancelled`.
    public func connect(to remote: TCPWire.SocketAddress, from local: IPAddress? = nil) async throws(TCPConnectionError) -> TCPConnection {
        let opened = try await core.connect(to: remote, from: local)
        return TCPConnection(stack: self, opened: opened)
    }

    /// Passive open (RFC 9293 §3.10.1) on `port` (at `address`, or every address of the stack).
    /// The returned listener is an `AsyncSequence` of accepted connections. Connections that
    /// complete the handshake wait in the engine's accept queue (up to `backlog`) until taken.
    ///
    /// Synchronous: off the stack's loop it waits briefly for the loop to register the listener.
    public func listen(port: UInt16, address: IPAddress? = nil, backlog: Int = 128) throws(TCPConnectionError) -> TCPListener {
        let core = self.core
        let result: Result<ListenerID, TCPConnectionError>
        // The loop lives as long as `core`, which we hold: the call always completes.
        result = core.loop.runAndWait {
            core.assumeIsolated { c in Result { () throws(TCPConnectionError) in try c.listen(port: port, address: address, backlog: backlog) } }
        }
        return TCPListener(stack: self, id: try result.get(), port: port)
    }

    /// Closes every listener and connection (FIN after the queued data; RST where received data
    /// was left unread), waits up to `gracePeriod` for the closing handshakes (each connection
    /// CLOSED or in TIME-WAIT, i.e. the peers closed too; connections closed earlier by the
    /// application are waited for as well), and stops the device. When time is up,
    /// connections in FIN-WAIT-2 (all our data and FIN acknowledged) are dropped quietly, the
    /// others are reset. Afterwards every call fails with `.closed` or `.stackShutDown`, and
    /// listeners' sequences end. Safe to call more than once (later calls wait for the first).
    public func shutdown(gracePeriod: Duration = .seconds(2)) async {
        await core.shutdown(gracePeriod: gracePeriod)
    }

    /// The driver's and the engine's counters.
    public func statistics() async -> NetworkStatistics {
        await core.snapshot()
    }
}
