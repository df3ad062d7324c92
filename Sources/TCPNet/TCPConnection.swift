import Synchronization
import TCPCore
import TCPWire

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
///
/// From a task running on the stack's own thread (one that prefers `NetworkStack.executor`),
/// every call goes straight into the driver: a read that finds bytes, and a write that fits the
/// send buffer, return without suspending; a read that finds none suspends until bytes arrive and
/// resumes on the same thread. From any other task, each call hops to the stack's thread and back.
public final class TCPConnection: AsyncSequence, Sendable {
    public typealias Element = [UInt8]
    public typealias Failure = TCPConnectionError

    /// The largest chunk the iterator hands out.
    public static let chunkBytes = 65536

    /// The stack the connection belongs to.
    public let stack: NetworkStack
    let id: ConnectionID
    public let localAddress: TCPWire.SocketAddress
    public let remoteAddress: TCPWire.SocketAddress

    /// The shard the connection lives on (the stack's only one, unless it is sharded).
    let core: StackCore

    init(stack: NetworkStack, core: StackCore, opened: StackCore.Opened) {
        self.stack = stack
        self.core = core
        core.handles.wrappingAdd(1, ordering: .relaxed)
        id = opened.id
        localAddress = opened.local
        remoteAddress = opened.remote
    }

    deinit {
        let core = self.core
        let id = self.id
        core.handles.wrappingSubtract(1, ordering: .relaxed)
        core.loop.execute { core.onLoop { $0.release(id, abort: false) } }
    }

    /// The event loop of the connection's shard as a task executor: a handler that prefers it
    /// runs on the thread that moves this connection's packets (for an unsharded stack, the
    /// same as `NetworkStack.executor`).
    public var executor: any TaskExecutor { core.loop.taskExecutor }

    /// The shard the connection lives on (0..<`NetworkStack.shardCount`; always 0 unsharded).
    public var shard: Int { core.shardIndex }

    /// Up to `maxBytes` received bytes; suspends while none are buffered; nil at end of stream.
    /// - Throws: `.reset`, `.timedOut`, `.closed` (after `close`/`abort`), `.cancelled`.
    public func read(maxBytes: Int = TCPConnection.chunkBytes) async throws(TCPConnectionError) -> [UInt8]? {
        let core = self.core, id = self.id
        // On the stack's thread: try, and wait there without a hop until an event says to retry.
        while core.loop.inEventLoop {
            let attempt = try core.onLoop { c in
                Result { () throws(TCPConnectionError) in try c.tryRead(id, maxBytes: maxBytes) }
            }.get()
            guard case .wouldBlock(let epoch) = attempt else {
                if case .done(let bytes) = attempt { return bytes }
                break
            }
            if Task.isCancelled { throw .cancelled }
            await core.waitOnLoop(id, .read, epoch: epoch)
        }
        return try await core.read(id, maxBytes: maxBytes)
    }

    /// Queues all of `bytes` for sending, suspending while the send buffer is full.
    /// - Throws: `.closed` after `shutdown(.write)`/`close()`, `.reset`, `.timedOut`, `.cancelled`
    ///   (some bytes may have been queued).
    public func write(_ bytes: [UInt8]) async throws(TCPConnectionError) {
        guard !bytes.isEmpty else { return }
        let core = self.core, id = self.id
        var offset = 0
        while core.loop.inEventLoop {
            let attempt = try core.onLoop { c in
                Result { () throws(TCPConnectionError) in try c.tryWrite(id, bytes, from: &offset) }
            }.get()
            guard case .wouldBlock(let epoch) = attempt else { return }
            if Task.isCancelled { throw .cancelled }
            await core.waitOnLoop(id, .write, epoch: epoch)
        }
        try await core.write(id, offset == 0 ? bytes : Array(bytes[offset...]))
    }

    /// Half-close: `.write` sends FIN after the queued data (RFC 9293 §3.10.4); reading goes on.
    public func shutdown(_ direction: TCPShutdownDirection) async throws(TCPConnectionError) {
        let core = self.core, id = self.id
        switch direction {
        case .write:
            if core.loop.inEventLoop {
                try core.onLoop { c in Result { () throws(TCPConnectionError) in try c.shutdownWrite(id) } }.get()
            } else {
                try await core.shutdownWrite(id)
            }
        }
    }

    /// Full close (RFC 9293 §3.10.4): FIN after the queued data, and the connection is given up.
    /// Unread received data makes it a reset instead (RFC 1122 §4.2.2.13). Later calls fail with
    /// `.closed`.
    public func close() async {
        let core = self.core, id = self.id
        if core.loop.inEventLoop { core.onLoop { $0.release(id, abort: false) } } else { await core.release(id, abort: false) }
    }

    /// ABORT (RFC 9293 §3.10.5): RST to the peer, queued data dropped, the connection given up.
    public func abort() async {
        let core = self.core, id = self.id
        if core.loop.inEventLoop { core.onLoop { $0.release(id, abort: true) } } else { await core.release(id, abort: true) }
    }

    /// A snapshot of the connection's TCB (state, windows, RTT...), nil once given up.
    public func info() async -> ConnectionInfo? {
        await core.info(id)
    }

    /// Per-connection options (TCP_NODELAY, keep-alive, user timeout).
    public func setOptions(_ options: ConnectionOptions) async throws(TCPConnectionError) {
        try await core.setOptions(id, options)
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
