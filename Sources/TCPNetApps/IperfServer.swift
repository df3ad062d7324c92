import Synchronization
import TCPNet
#if canImport(Glibc)
import Glibc
#endif

/// Enough of iperf3's server side for `iperf3 -c` to run a TCP test against TCPKit (client
/// sending, one or more parallel streams); `tcpkit tun serve --mode iperf3`. What iperf3 3.x does
/// on its control connection, as read from its behaviour on the wire: the client opens the control
/// connection and sends its 37-byte cookie; the server answers with one-byte states —
/// PARAM_EXCHANGE (9), then reads the client's parameters (a 4-byte big-endian length and JSON);
/// CREATE_STREAMS (10), upon which the client opens the data connections, each starting with the
/// same cookie; TEST_START (1) and TEST_RUNNING (2), and the client sends. The client ends with
/// TEST_END (4); the server sends EXCHANGE_RESULTS (13), reads the client's results and sends its
/// own (length + JSON: the bytes each stream received), then DISPLAY_RESULTS (14); the client
/// answers IPERF_DONE (16). Reverse (-R), bidirectional and UDP tests are refused: ACCESS_DENIED (-1),
/// and the connection ends (no error text follows; iperf3's client reports the server busy).
public enum IperfServer {
    static let cookieBytes = 37
    enum State: Int8 {
        case testStart = 1, testRunning = 2, testEnd = 4, paramExchange = 9, createStreams = 10
        case exchangeResults = 13, displayResults = 14, iperfDone = 16, accessDenied = -1
    }

    /// The test under way: its cookie, the streams it expects, and what each received.
    final class Test: Sendable {
        let cookie: [UInt8]
        let parallel: Int
        private let bytes = Mutex<[Int]>([])
        private let counting = Atomic<Bool>(true)

        init(cookie: [UInt8], parallel: Int) {
            self.cookie = cookie
            self.parallel = parallel
        }

        /// Registers a data connection; its index, or nil when the test has all it expects.
        func addStream() -> Int? {
            bytes.withLock { b in
                guard b.count < parallel else { return nil }
                b.append(0)
                return b.count - 1
            }
        }

        func received(_ n: Int, stream: Int) {
            guard counting.load(ordering: .relaxed) else { return }
            bytes.withLock { $0[stream] += n }
        }

        var streams: Int { bytes.withLock { $0.count } }
        /// Stops counting (at TEST_END, as iperf3's server) and returns each stream's bytes.
        func stop() -> [Int] {
            counting.store(false, ordering: .relaxed)
            return bytes.withLock { $0 }
        }
    }

    /// The tests of one listener, found by cookie when a data connection arrives: every
    /// connection of one listener is served with the same registry.
    public final class Registry: Sendable {
        private let tests = Mutex<[[UInt8]: Test]>([:])
        public init() {}
        func add(_ t: Test) { tests.withLock { $0[t.cookie] = t } }
        func remove(_ t: Test) { _ = tests.withLock { $0.removeValue(forKey: t.cookie) } }
        func test(_ cookie: [UInt8]) -> Test? { tests.withLock { $0[cookie] } }
    }

    /// Reads exact byte counts from a connection's chunks.
    struct Reader {
        let connection: TCPConnection
        var buffer: [UInt8] = []

        /// `n` bytes, or nil if the peer closed first.
        mutating func read(_ n: Int) async throws -> [UInt8]? {
            while buffer.count < n {
                guard let chunk = try await connection.read() else { return nil }
                buffer += chunk
            }
            let out = Array(buffer[..<n])
            buffer.removeFirst(n)
            return out
        }

        mutating func state() async throws -> Int8? {
            try await read(1).map { Int8(bitPattern: $0[0]) }
        }

        /// iperf3's JSON message: a 4-byte big-endian length, then the text.
        mutating func json() async throws -> String? {
            guard let l = try await read(4) else { return nil }
            let n = Int(l[0]) << 24 | Int(l[1]) << 16 | Int(l[2]) << 8 | Int(l[3])
            guard n <= 1 << 20, let body = try await read(n) else { return nil }
            return String(decoding: body, as: UTF8.self)
        }
    }

    static func send(_ c: TCPConnection, _ s: State) async throws {
        try await c.write([UInt8(bitPattern: s.rawValue)])
    }

    static func sendJSON(_ c: TCPConnection, _ text: String) async throws {
        let body = Array(text.utf8)
        let n = body.count
        try await c.write([UInt8(n >> 24 & 0xFF), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)] + body)
    }

    /// One accepted connection: a data stream of a test under way (its cookie is in `registry`),
    /// or a new control connection. Returns when the test or the stream is over, or the peer
    /// closed; the caller closes the connection.
    /// - Throws: what the connection's reads and writes throw.
    public static func serve(_ c: TCPConnection, registry: Registry) async throws {
        var reader = Reader(connection: c)
        guard let cookie = try await reader.read(cookieBytes) else { return }
        if let test = registry.test(cookie) {
            guard let stream = test.addStream() else { return }
            test.received(reader.buffer.count, stream: stream)
            for try await chunk in c { test.received(chunk.count, stream: stream) }
            return
        }
        try await control(c, &reader, cookie: cookie, registry: registry)
    }

    static func control(_ c: TCPConnection, _ reader: inout Reader, cookie: [UInt8], registry: Registry) async throws {
        try await send(c, .paramExchange)
        guard let parameters = try await reader.json() else { return }
        let parallel = max(1, min(128, integer(parameters, "parallel") ?? 1))
        if flag(parameters, "reverse") || flag(parameters, "bidirectional") || flag(parameters, "udp") {
            try await send(c, .accessDenied)
            return
        }
        let test = Test(cookie: cookie, parallel: parallel)
        registry.add(test)
        defer { registry.remove(test) }
        try await send(c, .createStreams)
        // The client connects its streams now; wait for them (at most 10 s).
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(10)
        while test.streams < parallel {
            guard clock.now < deadline else { return }
            try await Task.sleep(for: .milliseconds(5))
        }
        let start = clock.now
        try await send(c, .testStart)
        try await send(c, .testRunning)
        // The client sends until its time is up, then TEST_END on the control connection.
        guard let end = try await reader.state(), end == State.testEnd.rawValue else { return }
        let received = test.stop()
        let elapsed = clock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        try await send(c, .exchangeResults)
        guard try await reader.json() != nil else { return }   // the client's results: not needed
        let streams = received.enumerated().map { i, bytes in
            // iperf3 numbers its streams 1, 3, 4, 5… on both sides.
            "{\"id\":\(i == 0 ? 1 : i + 2),\"bytes\":\(bytes),\"retransmits\":-1,\"jitter\":0,\"errors\":0,\"omitted_errors\":0,\"packets\":0,\"omitted_packets\":0,\"start_time\":0,\"end_time\":\(seconds)}"
        }
        try await sendJSON(c, "{\"cpu_util_total\":0,\"cpu_util_user\":0,\"cpu_util_system\":0,\"sender_has_retransmits\":-1,\"congestion_used\":\"tcpkit\",\"streams\":[\(streams.joined(separator: ","))]}")
        try await send(c, .displayResults)
        _ = try await reader.state()   // IPERF_DONE
    }

    /// The integer value of `"key":N` in iperf3's flat parameter object.
    static func integer(_ json: String, _ key: String) -> Int? {
        guard let r = json.firstRange(of: "\"\(key)\":") else { return nil }
        return Int(json[r.upperBound...].prefix { $0.isNumber || $0 == "-" })
    }

    /// Whether `"key":true` (or a non-zero number) is in the parameter object.
    static func flag(_ json: String, _ key: String) -> Bool {
        guard let r = json.firstRange(of: "\"\(key)\":") else { return false }
        let rest = json[r.upperBound...].drop { $0 == " " }
        return rest.hasPrefix("true") || (rest.first.map { $0.isNumber && $0 != "0" } ?? false)
    }
}
