import Synchronization
import TCPCore

/// A listening port: an `AsyncSequence` of accepted connections that ends when the listener (or
/// the stack) is closed. Not taking connections leaves them in the engine's accept queue; past
/// the backlog, new handshakes are refused as Linux does.
public final class TCPListener: AsyncSequence, Sendable {
    public typealias Element = TCPConnection
    public typealias Failure = TCPConnectionError

    /// The stack the listener belongs to.
    public let stack: NetworkStack
    /// The engine's listener on each shard, in shard order.
    let ids: [ListenerID]
    public let port: UInt16
    /// Where the next `accept` of a sharded listener starts looking (it moves on every call, so
    /// that no shard's connections wait behind another's).
    let nextShard = Atomic<Int>(0)

    /// Sharded: tells which shards may have a connection waiting (nil unsharded).
    let gate: AcceptGate?

    init(stack: NetworkStack, ids: [ListenerID], port: UInt16, gate: AcceptGate?) {
        self.stack = stack
        self.ids = ids
        self.port = port
        self.gate = gate
    }

    deinit {
        for (core, id) in zip(stack.cores, ids) {
            core.loop.execute { core.onLoop { $0.closeListener(id) } }
        }
    }

    /// The next established connection; suspends until one is there; nil once closed.
    ///
    /// A sharded stack's listener takes from every shard's accept queue, starting each call at
    /// the next shard in turn; with none waiting, it waits for whichever shard gets one first.
    public func accept() async throws(TCPConnectionError) -> TCPConnection? {
        guard let gate else { return try await accept(fromShard: 0) }
        let cores = stack.cores, ids = self.ids, n = ids.count
        let start = nextShard.wrappingAdd(1, ordering: .relaxed).oldValue
        while true {
            // Only the shards signalled since they were last found empty are asked (each ask off
            // the shard's own thread is a hop there); a signal after `take` ends the wait at once.
            let (marked, epoch) = gate.take()
            for k in 0..<n {
                let shard = (start + k) % n
                guard marked[shard] else { continue }
                let core = cores[shard], id = ids[shard]
                let attempt = core.loop.inEventLoop ? core.onLoop { $0.tryAccept(id) } : await core.tryAccept(id)
                switch attempt {
                case .done(let opened?):
                    // More may wait there, and in the marked shards not asked yet: mark them
                    // again, waking any concurrent `accept` that found nothing.
                    gate.signal(shard: shard)
                    for other in (k + 1)..<n where marked[(start + other) % n] { gate.signal(shard: (start + other) % n) }
                    return TCPConnection(stack: stack, core: core, opened: opened)
                case .done(nil):
                    return nil   // closed: `close()`, or the stack shut down
                case .wouldBlock:
                    break
                }
            }
            if Task.isCancelled { throw .cancelled }
            await gate.wait(epoch: epoch)
        }
    }

    /// The next connection established on shard `shard` (0..<`NetworkStack.shardCount`) only;
    /// suspends until one is there; nil once closed. For an acceptor per shard, each running on
    /// its shard's loop (`NetworkStack.executor(ofShard:)`), where it takes its connections with
    /// no thread hop at all (`TCPServer` serves a sharded stack so). Unsharded, the same as
    /// `accept()`.
    public func accept(fromShard shard: Int) async throws(TCPConnectionError) -> TCPConnection? {
        let core = stack.cores[shard], id = ids[shard]
        // On the shard's thread (a task preferring its executor): no hop.
        while core.loop.inEventLoop {
            let attempt = core.onLoop { $0.tryAccept(id) }
            guard case .wouldBlock(let epoch) = attempt else {
                if case .done(let opened) = attempt { return opened.map { TCPConnection(stack: stack, core: core, opened: $0) } }
                break
            }
            if Task.isCancelled { throw .cancelled }
            await core.waitForListenerOnLoop(id, epoch: epoch)
        }
        guard let opened = try await core.accept(id) else { return nil }
        return TCPConnection(stack: stack, core: core, opened: opened)
    }

    /// Stops listening; connections not yet accepted are reset. Pending `accept`s return nil.
    public func close() async {
        for (core, id) in zip(stack.cores, ids) { await core.closeListener(id) }
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
