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
