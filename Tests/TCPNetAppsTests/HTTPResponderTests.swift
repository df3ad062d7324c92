import Testing
import TCPNet
import TCPNetApps

/// One HTTP response as the test read it off the wire.
struct HTTPResponse {
    var statusLine: String
    /// Header fields by lower-cased name.
    var fields: [String: String]
    var body: [UInt8]

    var text: String { String(decoding: body, as: UTF8.self) }
}

extension Peer {
    /// Reads one response: the head up to its blank line, then Content-Length bytes of body
    /// (none for a response to HEAD, RFC 9110 §9.3.2). Nil if the stream ended first.
    func response(toHEAD: Bool = false) async throws -> HTTPResponse? {
        guard let head = try await read(through: Array("\r\n\r\n".utf8)) else { return nil }
        let lines = String(decoding: head.dropLast(4), as: UTF8.self).split(separator: "\r\n", omittingEmptySubsequences: false)
        var fields: [String: String] = [:]
        for line in lines.dropFirst() {
            let colon = try #require(line.firstIndex(of: ":"), "field line without a colon: \(line)")
            fields[line[..<colon].lowercased()] = String(line[line.index(after: colon)...].drop { $0 == " " })
        }
        let length = try #require(fields["content-length"].flatMap { Int($0) }, "no Content-Length in \(lines)")
        let body = toHEAD ? [] : try #require(try await read(length), "the stream ended inside the body")
        return HTTPResponse(statusLine: String(lines[0]), fields: fields, body: body)
    }
}

/// `HTTPResponder` (RFC 9112) over two stacks in memory, with the cases curl and the kernel
/// client tests check, and the bad requests.
@Suite(.timeLimit(.minutes(1)))
struct HTTPResponderTests {
    static let port: UInt16 = 8080

    /// What GET and HEAD of `path` answer, request `n` on its connection.
    static func body(_ path: String, _ n: Int) -> String {
        "Hello from TCPKit, a TCP in Swift.\nYou asked for \(path) (request \(n) on this connection).\n"
    }

    /// A server on a fresh pair, a client connected to it; `body` runs, then everything is shut down.
    static func withClient(_ body: (AppPair, Peer) async throws -> Void) async throws {
        let pair = try AppPair()
        let server = try pair.serve(.http, port: port)
        let client = try await pair.connect(port: port)
        try await body(pair, client)
        await client.connection.close()
        await pair.shutdown()
        await server.value
    }

    @Test("GET: 200 with the text body, its Content-Length, and the connection kept (RFC 9112 §9.3)")
    func getAnswers200() async throws {
        try await Self.withClient { _, client in
            try await client.write("GET /hello HTTP/1.1\r\nHost: tcpkit\r\n\r\n")
            let r = try #require(try await client.response())
            #expect(r.statusLine == "HTTP/1.1 200 OK")
            #expect(r.text == Self.body("/hello", 1))
            #expect(r.fields["content-length"] == String(Self.body("/hello", 1).utf8.count))
            #expect(r.fields["content-type"] == "text/plain; charset=utf-8")
            #expect(r.fields["connection"] == "keep-alive")
            // Our FIN ends the conversation: the server's FIN follows, nothing else.
            try await client.connection.shutdown(.write)
            #expect(try await client.readToEnd().isEmpty)
        }
    }

    @Test("HEAD: GET's fields, Content-Length too, but no body (RFC 9110 §9.3.2)")
    func headHasNoBody() async throws {
        try await Self.withClient { _, client in
            // HEAD then GET in one write: if HEAD's response carried a body, the GET's status line
            // would not come next.
            try await client.write("HEAD /page HTTP/1.1\r\nHost: tcpkit\r\n\r\nGET /page HTTP/1.1\r\nHost: tcpkit\r\n\r\n")
            let head = try #require(try await client.response(toHEAD: true))
            #expect(head.statusLine == "HTTP/1.1 200 OK")
            #expect(head.fields["content-length"] == String(Self.body("/page", 1).utf8.count))
            let get = try #require(try await client.response())
            #expect(get.statusLine == "HTTP/1.1 200 OK")
            #expect(get.text == Self.body("/page", 2))
            try await client.connection.shutdown(.write)
            #expect(try await client.readToEnd().isEmpty)
        }
    }

    @Test("Two requests on one persistent HTTP/1.1 connection, one after the other and pipelined")
    func persistentConnection() async throws {
        try await Self.withClient { _, client in
            try await client.write("GET /first HTTP/1.1\r\nHost: tcpkit\r\n\r\n")
            let first = try #require(try await client.response())
            try await client.write("GET /second HTTP/1.1\r\nHost: tcpkit\r\n\r\n")
            let second = try #require(try await client.response())
            #expect(first.text == Self.body("/first", 1))
            #expect(second.text == Self.body("/second", 2))
            #expect(first.fields["connection"] == "keep-alive" && second.fields["connection"] == "keep-alive")
            try await client.write("GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n")
            #expect(try await client.response()?.text == Self.body("/a", 3))
            #expect(try await client.response()?.text == Self.body("/b", 4))
        }
    }

    @Test("Connection: close, and HTTP/1.0 without keep-alive: the response, then the server's FIN (RFC 9112 §9.3, §9.6)",
          arguments: [
            "GET /bye HTTP/1.1\r\nHost: tcpkit\r\nConnection: close\r\n\r\n",
            "GET /bye HTTP/1.1\r\nConnection: Keep-Alive, Close\r\n\r\n",
            "GET /bye HTTP/1.0\r\n\r\n",
          ])
    func closingRequest(_ request: String) async throws {
        try await Self.withClient { _, client in
            try await client.write(request)
            let r = try #require(try await client.response())
            #expect(r.statusLine == "HTTP/1.1 200 OK")
            #expect(r.text == Self.body("/bye", 1))
            #expect(r.fields["connection"] == "close")
            // The server's FIN arrives while ours has not been sent.
            #expect(try await client.readToEnd().isEmpty)
        }
    }

    @Test("HTTP/1.0 with Connection: keep-alive persists (RFC 9112 §9.3)")
    func http10KeepAlive() async throws {
        try await Self.withClient { _, client in
            try await client.write("GET /one HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            let first = try #require(try await client.response())
            #expect(first.fields["connection"] == "keep-alive")
            try await client.write("GET /two HTTP/1.0\r\n\r\n")
            let second = try #require(try await client.response())
            #expect(second.text == Self.body("/two", 2))
            #expect(second.fields["connection"] == "close")
            #expect(try await client.readToEnd().isEmpty)
        }
    }

    @Test("A head that has not ended within 16 KiB: 400, then the server's FIN")
    func overlongHead() async throws {
        try await Self.withClient { _, client in
            var head = Array("GET / HTTP/1.1\r\nX-Filler: ".utf8)
            head += [UInt8](repeating: UInt8(ascii: "a"), count: HTTPResponder.maximumHeadBytes - head.count)
            #expect(head.count == 16 * 1024)
            try await client.write(head)
            let r = try #require(try await client.response())
            #expect(r.statusLine == "HTTP/1.1 400 Bad Request")
            #expect(r.fields["connection"] == "close")
            #expect(r.text == "bad request\n")
            #expect(try await client.readToEnd().isEmpty)
        }
    }

    @Test("A head that ends one byte short of 16 KiB is still answered")
    func headJustUnderTheLimit() async throws {
        try await Self.withClient { _, client in
            var head = Array("GET /long HTTP/1.1\r\nX-Filler: ".utf8)
            head += [UInt8](repeating: UInt8(ascii: "a"), count: HTTPResponder.maximumHeadBytes - 1 - head.count - 4)
            head += Array("\r\n\r\n".utf8)
            #expect(head.count == 16 * 1024 - 1)
            try await client.write(head)
            let r = try #require(try await client.response())
            #expect(r.statusLine == "HTTP/1.1 200 OK")
            #expect(r.text == Self.body("/long", 1))
        }
    }

    @Test("Another method: 405 with Allow: GET, HEAD (RFC 9110 §15.5.6); the connection goes on")
    func unknownMethod() async throws {
        try await Self.withClient { _, client in
            try await client.write("DELETE /thing HTTP/1.1\r\nHost: tcpkit\r\n\r\n")
            let r = try #require(try await client.response())
            #expect(r.statusLine == "HTTP/1.1 405 Method Not Allowed")
            #expect(r.fields["allow"] == "GET, HEAD")
            #expect(r.fields["connection"] == "keep-alive")
            #expect(r.text == "only GET and HEAD\n")
            try await client.write("GET /after HTTP/1.1\r\n\r\n")
            #expect(try await client.response()?.text == Self.body("/after", 2))
        }
    }

    @Test("A malformed request line: 400, then the server's FIN (RFC 9112 §3)",
          arguments: [
            "GET /\r\n\r\n",
            "GET / FTP/1.0\r\n\r\n",
            "GET / HTTP/1.1 extra\r\n\r\n",
            "\r\n\r\n",
          ])
    func malformedRequestLine(_ request: String) async throws {
        try await Self.withClient { _, client in
            try await client.write(request)
            let r = try #require(try await client.response())
            #expect(r.statusLine == "HTTP/1.1 400 Bad Request")
            #expect(r.fields["connection"] == "close")
            #expect(r.text == "bad request\n")
            #expect(try await client.readToEnd().isEmpty)
        }
    }

    @Test("A request with a body: answered, then the server's FIN; the unread body does not reset it (RFC 9112 §6.3)",
          arguments: [
            ("GET /b HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", "HTTP/1.1 200 OK"),
            ("GET /b HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", "HTTP/1.1 200 OK"),
            ("POST /b HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", "HTTP/1.1 405 Method Not Allowed"),
          ])
    func requestWithBody(_ request: String, _ status: String) async throws {
        try await Self.withClient { _, client in
            try await client.write(request)
            let r = try #require(try await client.response())
            #expect(r.statusLine == status)
            #expect(r.fields["connection"] == "close")
            // A FIN, not a reset (readToEnd would throw .reset), while our side is still open; and
            // the body was not taken for a second request (no second response).
            #expect(try await client.readToEnd().isEmpty)
        }
    }
}
