import TCPCore

/// A listening port: an `AsyncSequence` of accepted connections that ends when the listener (or
/// the stack) is closed. Not taking connections leaves them in the engine's accept queue; past
/// the backlog, new handshakes are refused as Linux does.
public final class TCPListener: AsyncSequence, Sendable {
    public typealias Element = TCPConnection
    public typealias Failure = TCPConnectionError

    /// The stack the listener belongs to.
    public let stack: NetworkStack
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
        core.loop.execute { core.onLoop { $0.closeListener(id) } }
    }

    /// The next established connection; suspends until one is there; nil once closed.
    public func accept() async throws(TCPConnectionError) -> TCPConnection? {
        let core = stack.core, id = self.id
        // On the stack's thread (a task preferring `NetworkStack.executor`): no hop.
        while core.loop.inEventLoop {
            let attempt = core.onLoop { $0.tryAccept(id) }
            guard case .wouldBlock(let epoch) = attempt else {
                if case .done(let opened) = attempt { return opened.map { TCPConnection(stack: stack, opened: $0) } }
                break
            }
            if Task.isCancelled { throw .cancelled }
            await core.waitForListenerOnLoop(id, epoch: epoch)
        }
        guard let opened = try await core.accept(id) else { return nil }
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
