import Foundation
import Testing
import TCPNet
import TCPNetApps

/// The client side of iperf3's control protocol, as `IperfServer` documents it: one-byte states,
/// JSON messages as a 4-byte big-endian length and the text. Written from the protocol, not
/// from the server's code: the numbers are iperf3's.
enum Iperf {
    static let testStart: UInt8 = 1, testRunning: UInt8 = 2, testEnd: UInt8 = 4
    static let paramExchange: UInt8 = 9, createStreams: UInt8 = 10
    static let exchangeResults: UInt8 = 13, displayResults: UInt8 = 14, iperfDone: UInt8 = 16
    static let accessDenied: UInt8 = 0xFF   // -1 as a signed byte

    /// iperf3's cookie: 36 characters and a NUL, 37 bytes.
    static func cookie(_ seed: UInt64) -> [UInt8] {
        let letters = Array("abcdefghijklmnopqrstuvwxyz234567".utf8)
        return patternBytes(count: 36, seed: seed).map { letters[Int($0) % letters.count] } + [0]
    }

    static func json(_ text: String) -> [UInt8] {
        let body = Array(text.utf8)
        let n = UInt32(body.count)
        return [UInt8(n >> 24), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)] + body
    }
}

extension Peer {
    func state() async throws -> UInt8? { try await read(1)?.first }

    func json() async throws -> Any? {
        guard let l = try await read(4) else { return nil }
        let n = Int(l[0]) << 24 | Int(l[1]) << 16 | Int(l[2]) << 8 | Int(l[3])
        guard let body = try await read(n) else { return nil }
        return try JSONSerialization.jsonObject(with: Data(body))
    }
}

/// `IperfServer` against a client written here: a whole test with parallel streams, the byte
/// counts in the server's results, and the tests it refuses.
@Suite(.timeLimit(.minutes(1)))
struct IperfServerTests {
    static let port: UInt16 = 5201

    @Test("A two-stream test from cookie to IPERF_DONE; the server's results count each stream's bytes")
    func wholeTest() async throws {
        let pair = try AppPair()
        let server = try pair.serve(.iperf3, port: Self.port)
        let control = try await pair.connect(port: Self.port)
        let cookie = Iperf.cookie(7)
        try await control.write(cookie)
        #expect(try await control.state() == Iperf.paramExchange)
        // "reverse":false must not be taken for -R.
        try await control.write(Iperf.json(#"{"tcp":true,"omit":0,"time":1,"num":0,"blockcount":0,"parallel":2,"len":131072,"reverse":false,"pacing_timer":1000,"client_version":"3.16"}"#))
        #expect(try await control.state() == Iperf.createStreams)
        let sizes = [300_000, 1_000_001]
        var streams: [Peer] = []
        for _ in sizes {
            let s = try await pair.connect(port: Self.port)
            try await s.write(cookie)
            streams.append(s)
        }
        #expect(try await control.state() == Iperf.testStart)
        #expect(try await control.state() == Iperf.testRunning)
        for (s, n) in zip(streams, sizes) {
            try await s.write(patternBytes(count: n, seed: UInt64(n)))
            // Our FIN; the server's FIN after it has read (and counted) everything. iperf3's client
            // sends TEST_END while data may still be in flight; waiting makes the counts exact.
            try await s.connection.shutdown(.write)
            #expect(try await s.readToEnd().isEmpty)
        }
        try await control.write([Iperf.testEnd])
        #expect(try await control.state() == Iperf.exchangeResults)
        try await control.write(Iperf.json(#"{"cpu_util_total":1,"cpu_util_user":0.5,"cpu_util_system":0.5,"sender_has_retransmits":0,"streams":[{"id":1,"bytes":300000,"retransmits":0,"jitter":0,"errors":0,"packets":0,"start_time":0,"end_time":1},{"id":3,"bytes":1000001,"retransmits":0,"jitter":0,"errors":0,"packets":0,"start_time":0,"end_time":1}]}"#))
        let results = try #require(try await control.json() as? [String: Any])
        let reported = try #require(results["streams"] as? [[String: Any]])
        // Which connection became stream 1 and which stream 3 depends on the order the server
        // took their cookies; the counts, as a set, must be what was sent.
        #expect(reported.compactMap { $0["id"] as? Int }.sorted() == [1, 3])
        #expect(reported.compactMap { $0["bytes"] as? Int }.sorted() == sizes)
        #expect(reported.allSatisfy { ($0["end_time"] as? Double ?? -1) >= 0 })
        #expect(results["sender_has_retransmits"] as? Int == -1)
        #expect(try await control.state() == Iperf.displayResults)
        try await control.write([Iperf.iperfDone])
        // The test is over: the server closes the control connection.
        #expect(try await control.readToEnd().isEmpty)
        await control.connection.close()
        for s in streams { await s.connection.close() }
        await pair.shutdown()
        await server.value
    }

    @Test("Reverse, bidirectional and UDP tests are refused: ACCESS_DENIED (-1) and the connection ends, nothing else sent",
          arguments: [#""reverse":true"#, #""bidirectional":true"#, #""udp":true"#, #""reverse":1"#])
    func refusedTests(_ parameter: String) async throws {
        let pair = try AppPair()
        let server = try pair.serve(.iperf3, port: Self.port)
        let control = try await pair.connect(port: Self.port)
        try await control.write(Iperf.cookie(9))
        #expect(try await control.state() == Iperf.paramExchange)
        try await control.write(Iperf.json(#"{"tcp":true,"time":10,"parallel":1,"len":131072,\#(parameter),"client_version":"3.16"}"#))
        #expect(try await control.state() == Iperf.accessDenied)
        // No error text follows the state (iperf3's client then reports the server as busy): the
        // server's FIN comes next.
        #expect(try await control.readToEnd().isEmpty)
        await control.connection.close()
        await pair.shutdown()
        await server.value
    }

    @Test("A parameter message longer than 1 MiB ends the control connection unanswered")
    func oversizeParameters() async throws {
        let pair = try AppPair()
        let server = try pair.serve(.iperf3, port: Self.port)
        let control = try await pair.connect(port: Self.port)
        try await control.write(Iperf.cookie(11))
        #expect(try await control.state() == Iperf.paramExchange)
        try await control.write([0x00, 0x10, 0x00, 0x01])   // 1 MiB + 1
        #expect(try await control.readToEnd().isEmpty)
        await control.connection.close()
        await pair.shutdown()
        await server.value
    }
}
