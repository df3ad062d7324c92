// The README's two examples, compiled and run. Between each pair of `// README example` markers
// below is the README's code block, character for character (which is why it starts at column
// 0): `readmeShowsTheseExamples` compares the two, so an edit to either side fails until the
// other follows.

import Foundation
import Testing
import TCPCore
import TCPNet
import TCPWire

@Suite("The README's examples compile, run, and are the README's")
struct ReadmeExamplesTests {
    @Test("sans-IO: two engines, a wire without delay, virtual time; hello, TCP arrives and both close")
    func sansIO() throws {
// README example: sans-io
var random = SplitMix64(seed: 1)                 // randomness is injected (keys: the OS's)...
var client = TCPStack(addresses: [IPAddress("10.0.0.1")!], random: &random)
var server = TCPStack(addresses: [IPAddress("10.0.0.2")!], random: &random)
var now = Instant.zero, wire = [UInt8](repeating: 0, count: 2048), received: [UInt8] = []
let listener = try server.listen(port: 80)       // ...and its only clock is `now`, the caller's
let c = try client.connect(to: SocketAddress(IPAddress("10.0.0.2")!, 80), now: now)
_ = try client.send(c, Array("hello, TCP".utf8), now: now)   // queued until ESTABLISHED
while true {                                     // a wire without delay: each packet arrives at once
    var busy = false
    while let n = wire.withUnsafeMutableBytes({ client.pollTransmit(now: now, into: $0) }) {
        server.handle(ipPacket: Array(wire[..<n]), now: now); busy = true
    }
    while let n = wire.withUnsafeMutableBytes({ server.pollTransmit(now: now, into: $0) }) {
        client.handle(ipPacket: Array(wire[..<n]), now: now); busy = true
    }
    while let e = client.pollEvent() { busy = true; if e == .established(c) { try client.shutdown(c, now: now) } }
    while let e = server.pollEvent() {
        busy = true
        if case .connectionAvailable = e { _ = try server.accept(listener) }
        if case .readable(let s) = e { received += try server.receive(s, now: now) ?? [] }
        if case .peerClosed(let s) = e { try server.close(s, now: now) }   // our FIN too
    }
    if busy { continue }
    guard let next = [client.nextDeadline, server.nextDeadline].compactMap({ $0 }).min() else { break }
    now = next; client.handleTimeout(now: now); server.handleTimeout(now: now)   // the next timer
}
print(String(decoding: received, as: UTF8.self), "at", now)   // hello, TCP at 60.0s (TIME-WAIT)
// README example end
        #expect(received == Array("hello, TCP".utf8))
        // Both ends closed in order: nothing left in either stack once TIME-WAIT (2×MSL, 60 s)
        // has run out, and no reset on the way.
        #expect(client.connectionCount == 0)
        #expect(server.connectionCount == 0)
        #expect(client.state(of: c) == .closed)      // the handle lives on: only shutdown() was called
        #expect(client.statistics.resetsSent == 0 && server.statistics.resetsSent == 0)
        #expect(now >= Instant.zero + client.configuration.msl * 2)
    }

    @Test("async/await: an echo server and a client on two NetworkStacks over an InMemoryDevicePair")
    func asyncAwait() async throws {
// README example: async
let wire = InMemoryDevicePair()                  // two packet devices joined back to back
let server = try NetworkStack(device: wire.a, addresses: [IPAddress("198.18.0.2")!])
let client = try NetworkStack(device: wire.b, addresses: [IPAddress("198.18.0.1")!])

let listener = try server.listen(port: 7)        // an echo server: a task per connection
Task {
    for try await connection in listener {
        Task {
            for try await chunk in connection { try await connection.write(chunk) }
            await connection.close()             // after the peer's FIN
        }
    }
}

let connection = try await client.connect(to: SocketAddress(IPAddress("198.18.0.2")!, 7))
try await connection.write(Array("hello, TCP".utf8))
try await connection.shutdown(.write)            // FIN; reading goes on
var answer: [UInt8] = []
for try await chunk in connection { answer += chunk }
print(String(decoding: answer, as: UTF8.self))   // hello, TCP
await connection.close()
await client.shutdown()
await server.shutdown()                          // closes what is left, ends the listener
// README example end
        #expect(answer == Array("hello, TCP".utf8))
        let s = await server.statistics(), k = await client.statistics()
        #expect(s.tcp.connectionsAccepted == 1 && k.tcp.connectionsOpened == 1)
        #expect(s.tcp.resetsSent == 0 && k.tcp.resetsSent == 0, "server \(s)\nclient \(k)")
        #expect(wire.a.statistics.lost == 0 && wire.b.statistics.lost == 0)
    }

    /// The lines of `text` between the line `begin` and the next line `end`.
    static func lines(of text: String, after begin: String, until end: String) -> [Substring]? {
        let all = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard let start = all.firstIndex(where: { $0 == begin }) else { return nil }
        let rest = all[(start + 1)...]
        guard let stop = rest.firstIndex(where: { $0 == end }) else { return nil }
        return Array(rest[..<stop])
    }

    @Test("each example here is the README's block, character for character", arguments: ["sans-io", "async"])
    func readmeShowsTheseExamples(_ name: String) throws {
        let here = URL(fileURLWithPath: #filePath)
        let source = try String(contentsOf: here, encoding: .utf8)
        let readme = try String(contentsOf: here.deletingLastPathComponent().appendingPathComponent("../../README.md").standardizedFileURL,
                                encoding: .utf8)
        let mine = try #require(Self.lines(of: source, after: "// README example: \(name)", until: "// README example end"),
                                "no `// README example: \(name)` block in \(here.lastPathComponent)")
        // In the README: the marker comment, then a ```swift block.
        let block = try #require(Self.lines(of: readme, after: "<!-- example: \(name) -->", until: "```"),
                                 "README.md has no `<!-- example: \(name) -->` marker followed by a code block")
        #expect(block.first == "```swift", "the README's block after the marker must open with ```swift")
        let theirs = Array(block.dropFirst())
        #expect(theirs.count >= 10, "README's \(name) example has only \(theirs.count) lines")
        for (k, (a, b)) in zip(mine, theirs).enumerated() where a != b {
            Issue.record("line \(k + 1) of the \(name) example differs:\n  test:   \(a)\n  README: \(b)")
        }
        #expect(mine.count == theirs.count, "the \(name) example has \(mine.count) lines here and \(theirs.count) in README.md")
    }
}
