import TCPNet

/// A tiny HTTP/1.1 responder (RFC 9112): GET and HEAD of any path get a short text/plain body;
/// other methods 405 with `Allow: GET, HEAD` (RFC 9110 §15.5.6); a request head that does not end
/// within 16 KiB, or a request line that is not `method SP target SP HTTP/1.x` (RFC 9112 §3: an
/// invalid request-line gets 400), 400 and the connection closed. Persistent connections as RFC 9112 §9.3 says: HTTP/1.1 keeps the
/// connection open unless the request says `Connection: close`, HTTP/1.0 closes it unless it says
/// `keep-alive`. Request bodies are not read (GET and HEAD have none), so a request with one
/// (RFC 9112 §6.1, §6.3: `Content-Length` other than 0, or `Transfer-Encoding`) is answered and
/// the connection closed.
public enum HTTPResponder {
    /// The longest request head read before answering 400: a head larger than a server wishes to
    /// process gets a 4xx (RFC 9110 §5.4).
    public static let maximumHeadBytes = 16 * 1024

    /// Answers the requests on `c` until the peer closes, or a response says `Connection: close`
    /// (then our FIN follows it, and what the peer still sends is read and dropped until its FIN,
    /// so the response is not cut short by a reset). The caller closes the connection.
    /// - Throws: what the connection's reads and writes throw.
    public static func serve(_ c: TCPConnection) async throws {
        var buffer: [UInt8] = []
        var served = 0
        while true {
            // Read until the blank line that ends the head (RFC 9112 §2.1).
            var end = headEnd(buffer)
            while end == nil {
                guard buffer.count < maximumHeadBytes else {
                    try await c.write(response(status: "400 Bad Request", body: "bad request\n", keepAlive: false, head: false))
                    return
                }
                guard let chunk = try await c.read() else { return }   // peer closed: done
                buffer += chunk
                end = headEnd(buffer)
            }
            let head = String(decoding: buffer[..<end!], as: UTF8.self)
            buffer.removeFirst(end! + 4)
            served += 1
            let lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
            // RFC 9112 §3: request-line = method SP request-target SP HTTP-version.
            let requestLine = lines.first.map { $0.split(separator: " ") } ?? []
            guard requestLine.count == 3, requestLine[2].hasPrefix("HTTP/1.") else {
                try await c.write(response(status: "400 Bad Request", body: "bad request\n", keepAlive: false, head: false))
                return
            }
            let method = String(requestLine[0]), path = String(requestLine[1]), version = String(requestLine[2])
            var connectionTokens: [String] = []
            var hasBody = false
            for line in lines.dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                let name = line[..<colon].lowercased()
                let value = line[line.index(after: colon)...].trimmingCharacters(in: " \t").lowercased()
                if name == "connection" { connectionTokens += value.split(separator: ",").map { $0.trimmingCharacters(in: " \t") } }
                // RFC 9112 §6.3: a body is there when Content-Length (non-zero) or Transfer-Encoding says so.
                if name == "content-length", value != "0" { hasBody = true }
                if name == "transfer-encoding" { hasBody = true }
            }
            // RFC 9112 §9.3: HTTP/1.1 persists unless "close"; HTTP/1.0 only with "keep-alive".
            var keepAlive = version == "HTTP/1.1" ? !connectionTokens.contains("close") : connectionTokens.contains("keep-alive")
            if hasBody { keepAlive = false }
            switch method {
            case "GET", "HEAD":
                let body = "Hello from TCPKit, a TCP in Swift.\nYou asked for \(path) (request \(served) on this connection).\n"
                // RFC 9110 §9.3.2: HEAD gets GET's header fields (Content-Length too), no body.
                try await c.write(response(status: "200 OK", body: body, keepAlive: keepAlive, head: method == "HEAD"))
            default:
                try await c.write(response(status: "405 Method Not Allowed", body: "only GET and HEAD\n", keepAlive: keepAlive, head: false, allow: true))
            }
            if !keepAlive {
                // Our FIN after the response; the peer's FIN (or RST) ends it. Unread data is dropped
                // rather than answered with RST, so the response is not cut short.
                try await c.shutdown(.write)
                for try await _ in c {}
                return
            }
        }
    }

    /// Index of the CRLF CRLF that ends the head, if it is there.
    static func headEnd(_ b: [UInt8]) -> Int? {
        guard b.count >= 4 else { return nil }
        for i in 0...(b.count - 4) where b[i] == 13 && b[i + 1] == 10 && b[i + 2] == 13 && b[i + 3] == 10 { return i }
        return nil
    }

    static func response(status: String, body: String, keepAlive: Bool, head: Bool, allow: Bool = false) -> [UInt8] {
        var text = "HTTP/1.1 \(status)\r\nServer: tcpkit\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: \(body.utf8.count)\r\n"
        if allow { text += "Allow: GET, HEAD\r\n" }
        text += keepAlive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n"
        if !head { text += body }
        return Array(text.utf8)
    }
}

extension Substring {
    /// The substring without the leading and trailing characters in `set`.
    fileprivate func trimmingCharacters(in set: String) -> String {
        var s = self
        while let f = s.first, set.contains(f) { s.removeFirst() }
        while let l = s.last, set.contains(l) { s.removeLast() }
        return String(s)
    }
}
