import TCPNet

/// Serves the connections of a listener with one of the small applications of this module.
///
/// ```swift
/// let listener = try stack.listen(port: 8080)
/// await TCPServer(mode: .http).run(listener)     // until the listener or the stack closes
/// ```
public struct TCPServer: Sendable {
    /// What each connection gets.
    public enum Mode: String, CaseIterable, Sendable {
        /// What arrives is sent back (RFC 862); our FIN follows the peer's.
        case echo
        /// What arrives is read and dropped (RFC 863); our FIN follows the peer's.
        case discard
        /// `HTTPResponder`: GET and HEAD answered, persistent connections (RFC 9112).
        case http
        /// `IperfServer`: the server side of an `iperf3 -c` TCP test.
        case iperf3
        /// Zeros sent as fast as the peer takes them, whatever arrives read and dropped, until
        /// the peer's FIN or RST: the sending side of a throughput test (ttcp's transmitter).
        case source
    }

    public let mode: Mode
    /// Whether the connections are served on the stack's own thread (see `init`).
    public let onStackThread: Bool
    /// The iperf3 tests under way, shared by every connection of this server.
    let registry = IperfServer.Registry()

    /// - Parameter onStackThread: serve on the stack's own thread (`TCPConnection.executor`: each
    ///   connection on its shard's, for a sharded stack), so
    ///   that a request is read, answered and sent without a thread hop (the default; every mode
    ///   here is short, non-blocking work). False serves on Swift's global executor.
    public init(mode: Mode, onStackThread: Bool = true) {
        self.mode = mode
        self.onStackThread = onStackThread
    }

    /// Accepts the listener's connections and serves each in a task of its own; returns when the
    /// listener ends (closed, or the stack shut down) and every connection has been served.
    public func run(_ listener: TCPListener) async {
        guard onStackThread else { return await serveAll(listener) }
        let shards = listener.stack.shardCount
        if shards > 1 {
            // An acceptor on each shard's thread, taking that shard's connections and serving
            // them there: no connection ever crosses to another thread.
            await withDiscardingTaskGroup { group in
                for shard in 0..<shards {
                    group.addTask(executorPreference: listener.stack.executor(ofShard: shard)) {
                        await serveAll(listener, shard: shard)
                    }
                }
            }
            return
        }
        // The preference is inherited by the task group's child tasks: every connection's.
        await withTaskExecutorPreference(listener.stack.executor) {
            await serveAll(listener)
        }
    }

    /// Serves the connections of one shard (`shard`), or of them all (nil).
    func serveAll(_ listener: TCPListener, shard: Int? = nil) async {
        // A discarding group: a plain task group keeps every finished child (its task and frame,
        // about 2 KB) until the group ends, so a server taking connection after connection grew
        // without bound.
        await withDiscardingTaskGroup { group in
            do {
                while let connection = try await (shard == nil ? listener.accept() : listener.accept(fromShard: shard!)) {
                    // On the stack's thread, the child inherits the acceptor's preference: the
                    // shard's own loop (a shard's acceptor takes only that shard's connections).
                    group.addTask { await serve(connection) }
                }
            } catch {
                // The listener ends with .stackShutDown when the stack shuts down.
            }
        }
    }

    /// Serves one connection to its end: closes it when the application is done, aborts it (RST)
    /// when a read or write failed.
    public func serve(_ c: TCPConnection) async {
        do {
            switch mode {
            case .echo: try await Self.echo(c)
            case .discard: try await Self.discard(c)
            case .http: try await HTTPResponder.serve(c)
            case .iperf3: try await IperfServer.serve(c, registry: registry)
            case .source: try await Self.source(c)
            }
            await c.close()
        } catch {
            await c.abort()
        }
    }

    /// Echo (RFC 862): sends back every chunk as it arrives, until the peer's FIN. The caller
    /// closes the connection.
    public static func echo(_ c: TCPConnection) async throws {
        for try await chunk in c { try await c.write(chunk) }
    }

    /// Discard (RFC 863): reads and drops everything until the peer's FIN; sends nothing. The
    /// caller closes the connection.
    public static func discard(_ c: TCPConnection) async throws {
        for try await _ in c {}
    }

    /// Source: writes zeros, 64 KiB at a time, until the peer's FIN (read while writing: what
    /// arrives is dropped) or a failed write (the peer's RST when it closes with data unread).
    /// The caller closes the connection.
    public static func source(_ c: TCPConnection) async throws {
        let zeros = [UInt8](repeating: 0, count: 64 * 1024)
        try await withThrowingTaskGroup { group in
            group.addTask { for try await _ in c {} }
            group.addTask { while true { try await c.write(zeros) } }
            // The first to finish ends the other: the reader at the peer's FIN, either on an error.
            defer { group.cancelAll() }
            try await group.next()
        }
    }
}
