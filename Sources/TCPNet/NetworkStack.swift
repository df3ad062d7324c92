import NIOCore
import NIOPosix
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

/// What the driver counted about packets, beyond the engine's `TCPStatistics`.
public struct DriverStatistics: Sendable, Hashable {
    public var packetsReceived = 0
    public var bytesReceived = 0
    public var packetsSent = 0
    public var bytesSent = 0
    /// ICMP echo requests (IPv4 type 8, IPv6 type 128) for our addresses, answered.
    public var icmpEchoRequestsAnswered = 0
    /// Other ICMP/ICMPv6 messages (any other type, or an echo request for another address): dropped.
    public var icmpIgnored = 0
    /// ICMP/ICMPv6 messages that were truncated or failed their checksum: dropped.
    public var icmpMalformed = 0
    /// IP packets that are neither TCP nor ICMP (UDP, IPv6 extension headers...): dropped.
    public var otherProtocolDropped = 0
    /// Packets the device delivered faster than the loop took them, past the inbox bound: dropped.
    public var inboxDropped = 0
    public init() {}
}

/// A snapshot of a stack's counters.
public struct NetworkStatistics: Sendable, Hashable {
    public var driver: DriverStatistics
    /// The engine's counters (segments, drops by reason, retransmissions...).
    public var tcp: TCPStatistics
    /// Connections with a TCB (any state but CLOSED), TIME-WAIT included.
    public var connections: Int
}

/// A userspace TCP/IP stack on a packet device: the async/await face of `TCPStack`.
///
/// It runs one `TCPStack` on its own SwiftNIO event loop (one thread): packets from the device,
/// the engine's timers and your calls all happen there, in order. All methods may be called from
/// any task or thread.
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
    /// - Throws: what `device.start` throws.
    public init(device: some PacketDevice, addresses: [IPAddress], configuration: TCPConfiguration = TCPConfiguration(),
                hooks: Hooks = Hooks(), seed: UInt64? = nil, inboxLimitBytes: Int = 8 << 20) throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let core = StackCore(group: group, device: device, addresses: addresses, configuration: configuration,
                             hooks: hooks, seed: seed, inboxLimitBytes: inboxLimitBytes)
        self.core = core
        self.addresses = addresses
        var realtime = timespec()
        clock_gettime(CLOCK_REALTIME, &realtime)
        let elapsed = NIODeadline.now().uptimeNanoseconds &- core.originUptimeNanoseconds
        wallClockAtZero = .seconds(realtime.tv_sec) + .nanoseconds(realtime.tv_nsec) - .nanoseconds(Int64(elapsed))
        let inbox = core.inbox
        let loop = core.loop
        do {
            try device.start { packet in
                if inbox.push(packet) {
                    loop.execute { core.assumeIsolated { $0.drainInbox() } }
                }
            }
        } catch {
            core.loop.execute { core.assumeIsolated { $0.stop() } }
            throw error
        }
    }

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
        if core.loop.inEventLoop {
            result = core.assumeIsolated { c in Result { () throws(TCPConnectionError) in try c.listen(port: port, address: address, backlog: backlog) } }
        } else {
            let future = core.loop.submit {
                core.assumeIsolated { c in Result { () throws(TCPConnectionError) in try c.listen(port: port, address: address, backlog: backlog) } }
            }
            // The loop lives as long as `core`, which we hold: the future always completes.
            result = (try? future.wait()) ?? .failure(.stackShutDown)
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

/// Which half of a connection to shut down.
public enum TCPShutdownDirection: Sendable, Hashable {
    /// "I have no more to send": a FIN follows the queued data; reading goes on (a half-close).
    case write
}

/// One TCP connection: an `AsyncSequence` of received byte chunks, plus `write`.
///
/// Chunks are `[UInt8]` of at most `TCPConnection.chunkBytes` (64 KiB) bytes, never empty; the
/// sequence ends (nil) at the peer's FIN. Reading is pulled by the consumer: the stack takes bytes
/// out of the engine only when asked, so a consumer that stops reading lets the receive buffer
/// fill, and the advertised window closes (backpressure reaches the peer).
///
/// `write` suspends while the send buffer is full and returns once every byte is queued in it
/// (not when the peer has acknowledged them). Reads and writes may happen concurrently from two
/// tasks. Dropping the last reference closes the connection, as `close()` does.
public final class TCPConnection: AsyncSequence, Sendable {
    public typealias Element = [UInt8]
    public typealias Failure = TCPConnectionError

    /// The largest chunk the iterator hands out.
    public static let chunkBytes = 65536

    let stack: NetworkStack
    let id: ConnectionID
    public let localAddress: TCPWire.SocketAddress
    public let remoteAddress: TCPWire.SocketAddress

    init(stack: NetworkStack, opened: StackCore.Opened) {
        self.stack = stack
        id = opened.id
        localAddress = opened.local
        remoteAddress = opened.remote
    }

    deinit {
        let core = stack.core
        let id = self.id
        core.loop.execute { core.assumeIsolated { $0.release(id, abort: false) } }
    }

    /// Up to `maxBytes` received bytes; suspends while none are buffered; nil at end of stream.
    /// - Throws: `.reset`, `.timedOut`, `.closed` (after `close`/`abort`), `.cancelled`.
    public func read(maxBytes: Int = TCPConnection.chunkBytes) async throws(TCPConnectionError) -> [UInt8]? {
        try await stack.core.read(id, maxBytes: maxBytes)
    }

    /// Queues all of `bytes` for sending, suspending while the send buffer is full.
    /// - Throws: `.closed` after `shutdown(.write)`/`close()`, `.reset`, `.timedOut`, `.cancelled`
    ///   (some bytes may have been queued).
    public func write(_ bytes: [UInt8]) async throws(TCPConnectionError) {
        guard !bytes.isEmpty else { return }
        try await stack.core.write(id, bytes)
    }

    /// Half-close: `.write` sends FIN after the queued data (RFC 9293 §3.10.4); reading goes on.
    public func shutdown(_ direction: TCPShutdownDirection) async throws(TCPConnectionError) {
        switch direction {
        case .write: try await stack.core.shutdownWrite(id)
        }
    }

    /// Full close (RFC 9293 §3.10.4): FIN after the queued data, and the connection is given up.
    /// Unread received data makes it a reset instead (RFC 1122 §4.2.2.13). Later calls fail with
    /// `.closed`.
    public func close() async {
        await stack.core.release(id, abort: false)
    }

    /// ABORT (RFC 9293 §3.10.5): RST to the peer, queued data dropped, the connection given up.
    public func abort() async {
        await stack.core.release(id, abort: true)
    }

    /// A snapshot of the connection's TCB (state, windows, RTT...), nil once given up.
    public func info() async -> ConnectionInfo? {
        await stack.core.info(id)
    }

    /// Per-connection options (TCP_NODELAY, keep-alive, user timeout).
    public func setOptions(_ options: ConnectionOptions) async throws(TCPConnectionError) {
        try await stack.core.setOptions(id, options)
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(connection: self) }

    public struct AsyncIterator: AsyncIteratorProtocol {
        public typealias Element = [UInt8]
        public typealias Failure = TCPConnectionError
        let connection: TCPConnection

        public mutating func next() async throws(TCPConnectionError) -> [UInt8]? {
            try await connection.read()
        }

        public mutating func next(isolation actor: isolated (any Actor)?) async throws(TCPConnectionError) -> [UInt8]? {
            try await connection.read()
        }
    }
}

/// A listening port: an `AsyncSequence` of accepted connections that ends when the listener (or
/// the stack) is closed. Not taking connections leaves them in the engine's accept queue; past
/// the backlog, new handshakes are refused as Linux does.
public final class TCPListener: AsyncSequence, Sendable {
    public typealias Element = TCPConnection
    public typealias Failure = TCPConnectionError

    let stack: NetworkStack
    let id: ListenerID
    public let port: UInt16

    init(stack: NetworkStack, id: ListenerID, port: UInt16) {
        self.stack = stack
        self.id = id
        self.port = port
    }

    deinit {
        let core = stack.core
        let id = self.id
        core.loop.execute { core.assumeIsolated { $0.closeListener(id) } }
    }

    /// The next established connection; suspends until one is there; nil once closed.
    public func accept() async throws(TCPConnectionError) -> TCPConnection? {
        guard let opened = try await stack.core.accept(id) else { return nil }
        return TCPConnection(stack: stack, opened: opened)
    }

    /// Stops listening; connections not yet accepted are reset. Pending `accept`s return nil.
    public func close() async {
        await stack.core.closeListener(id)
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(listener: self) }

    public struct AsyncIterator: AsyncIteratorProtocol {
        public typealias Element = TCPConnection
        public typealias Failure = TCPConnectionError
        let listener: TCPListener

        public mutating func next() async throws(TCPConnectionError) -> TCPConnection? {
            try await listener.accept()
        }

        public mutating func next(isolation actor: isolated (any Actor)?) async throws(TCPConnectionError) -> TCPConnection? {
            try await listener.accept()
        }
    }
}
