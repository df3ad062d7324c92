import Foundation
import NIOConcurrencyHelpers
import NIOCore
import Testing
import TCPCore
import TCPNet
import TCPWire

/// A sequence of pattern bytes without contiguous storage: `write` must take its bytes one by one
/// from the iterator (the read-ahead path).
struct PatternSequence: Sequence, Sendable {
    let bytes: [UInt8]
    struct Iterator: IteratorProtocol {
        let bytes: [UInt8]
        var i = 0
        mutating func next() -> UInt8? {
            guard i < bytes.count else { return nil }
            defer { i += 1 }
            return bytes[i]
        }
    }
    func makeIterator() -> Iterator { Iterator(bytes: bytes) }
}

/// The send buffer of these tests: every large write is several times larger.
private let sendBuffer = 64 * 1024

/// Connects two stacks, runs `write` on the client's connection, half-closes, and returns what
/// the server read to the end of the stream.
private func transfer(port: UInt16, _ write: @Sendable (TCPConnection) async throws -> Void) async throws -> [UInt8] {
    var configuration = StackPair.configuration
    configuration.sendBufferBytes = sendBuffer
    let pair = try StackPair(configuration: configuration)
    let listener = try pair.server.listen(port: port)
    let reader = Task { () throws -> [UInt8] in
        guard let peer = try await listener.accept() else { return [] }
        let got = try await readAll(peer)
        await peer.close()
        return got
    }
    let connection = try await pair.client.connect(to: TCPWire.SocketAddress(StackPair.serverV4, port))
    try await write(connection)
    try await connection.shutdown(.write)
    let got = try await reader.value
    await connection.close()
    await pair.shutdown()
    return got
}

@Suite(.timeLimit(.minutes(2)))
struct WriteOverloadTests {
    @Test("ArraySlice (not starting at 0), larger than the send buffer: every byte once, in order")
    func arraySlice() async throws {
        let data = patternBytes(count: 1 << 20, seed: 11)
        let slice = data[1001..<(data.count - 77)]
        let got = try await transfer(port: 6001) { try await $0.write(slice) }
        #expect(got.count == slice.count)
        #expect(got == Array(slice))
    }

    @Test("String.UTF8View and Substring.UTF8View with multi-byte characters")
    func utf8Views() async throws {
        let text = (0..<6000).map { "héllo wörld ✓ 𝄞 line \($0)\n" }.joined()
        let part = text.dropFirst(1234)   // a Substring
        let small = "ok"                  // a small (inline) string
        let got = try await transfer(port: 6002) { c in
            try await c.write(text.utf8)
            try await c.write(part.utf8)
            try await c.write(small.utf8)
        }
        let expected = Array(text.utf8) + Array(part.utf8) + Array(small.utf8)
        #expect(expected.count > 4 * sendBuffer)
        #expect(got.count == expected.count)
        #expect(got == expected)
    }

    @Test("Data and a Data slice (Foundation, in the test only)")
    func foundationData() async throws {
        let bytes = patternBytes(count: 300_000, seed: 12)
        let data = Data(bytes)
        let slice = data[5000...]         // indices start at 5000
        let got = try await transfer(port: 6003) { c in
            try await c.write(data)
            try await c.write(slice)
        }
        let expected = bytes + bytes[5000...]
        #expect(got.count == expected.count)
        #expect(got == expected)
    }

    /// Sizes around multiples of the send buffer: a producer that fills the free space exactly
    /// must still tell whether more follows (the byte read ahead is neither lost nor repeated).
    @Test("a sequence without contiguous storage, sizes around multiples of the send buffer",
          arguments: [1, sendBuffer - 1, sendBuffer, sendBuffer + 1, 3 * sendBuffer, (1 << 20) + 7])
    func iteratedSequence(count: Int) async throws {
        let data = patternBytes(count: count, seed: UInt64(count))
        let got = try await transfer(port: 6004) { try await $0.write(PatternSequence(bytes: data)) }
        #expect(got.count == data.count)
        #expect(got == data)
    }

    @Test("a lazy map (its closure runs as the bytes are copied)")
    func lazyMap() async throws {
        let data = patternBytes(count: 500_000, seed: 13)
        let got = try await transfer(port: 6005) { try await $0.write(data.lazy.map { $0 ^ 0xA5 }) }
        #expect(got.count == data.count)
        #expect(got == data.map { $0 ^ 0xA5 })
    }

    @Test("ByteBuffer: only its readable bytes; and its readableBytesView")
    func byteBuffer() async throws {
        let data = patternBytes(count: 700_000, seed: 14)
        var buffer = ByteBufferAllocator().buffer(capacity: data.count)
        buffer.writeBytes(data)
        buffer.moveReaderIndex(forwardBy: 333)
        let sent = buffer
        let got = try await transfer(port: 6006) { c in
            try await c.write(sent)
            try await c.write(sent.readableBytesView.dropLast(100))
        }
        let expected = Array(data[333...]) + Array(data[333..<(data.count - 100)])
        #expect(got.count == expected.count)
        #expect(got == expected)
        #expect(sent.readerIndex == 333)   // the caller's buffer value is untouched
    }

    @Test("writes of every kind interleaved on one connection keep their order")
    func interleaved() async throws {
        let parts = (0..<5).map { patternBytes(count: 40_000 + 17 * $0, seed: 100 + UInt64($0)) }
        let text = String(repeating: "abc✓", count: 9000)
        let got = try await transfer(port: 6007) { c in
            for round in 0..<3 {
                try await c.write(parts[0])
                try await c.write(parts[1][1...])
                var buffer = ByteBufferAllocator().buffer(capacity: parts[2].count)
                buffer.writeBytes(parts[2])
                try await c.write(buffer)
                try await c.write(PatternSequence(bytes: parts[3]))
                try await c.write(text.utf8)
                try await c.write(Data(parts[4]))
                try await c.write(CollectionOfOne(UInt8(round)))
            }
        }
        var expected: [UInt8] = []
        for round in 0..<3 {
            expected += parts[0] + parts[1][1...] + parts[2] + parts[3] + Array(text.utf8) + parts[4] + [UInt8(round)]
        }
        #expect(got.count == expected.count)
        #expect(got == expected)
    }

    @Test("after shutdown(.write) every overload fails with .closed; empty writes return")
    func typedErrors() async throws {
        let pair = try StackPair()
        let listener = try pair.server.listen(port: 6008)
        let accepted = Task { try await listener.accept() }
        let connection = try await pair.client.connect(to: TCPWire.SocketAddress(StackPair.serverV4, 6008))
        let peer = try #require(try await accepted.value)
        try await connection.shutdown(.write)
        let bytes: [UInt8] = [1, 2, 3]
        await #expect(throws: TCPConnectionError.closed) { try await connection.write(bytes[1...]) }
        await #expect(throws: TCPConnectionError.closed) { try await connection.write("x".utf8) }
        await #expect(throws: TCPConnectionError.closed) { try await connection.write(PatternSequence(bytes: bytes)) }
        await #expect(throws: TCPConnectionError.closed) { try await connection.write(ByteBuffer(bytes: bytes)) }
        try await connection.write(bytes[3...])
        try await connection.write(PatternSequence(bytes: []))
        try await connection.write(ByteBuffer())
        // Nothing of the failed writes reached the peer: only the FIN.
        #expect(try await peer.read() == nil)
        await connection.close()
        await peer.close()
        await pair.shutdown()
    }

    enum Kind: String, CaseIterable, Sendable { case slice, iterated, byteBuffer }

    /// The overloads keep `write`'s backpressure: with a peer that does not read, the write of
    /// 1 MiB stays suspended once both buffers are full; it finishes, with every byte in order,
    /// once the peer reads. A cancelled suspended write throws `.cancelled`.
    @Test("a suspended write resumes when the peer reads, or throws .cancelled", arguments: Kind.allCases, [false, true])
    func backpressure(kind: Kind, cancel: Bool) async throws {
        var configuration = StackPair.configuration
        configuration.sendBufferBytes = 64 * 1024
        configuration.receiveBufferBytes = 64 * 1024
        let pair = try StackPair(configuration: configuration)
        let listener = try pair.server.listen(port: 6009)
        let accepted = Task { try await listener.accept() }
        let connection = try await pair.client.connect(to: TCPWire.SocketAddress(StackPair.serverV4, 6009))
        let peer = try #require(try await accepted.value)
        let data = patternBytes(count: 1 << 20, seed: 15)
        let finished = NIOLockedValueBox(false)
        let writer = Task { () async throws in
            switch kind {
            case .slice: try await connection.write(data[...])
            case .iterated: try await connection.write(PatternSequence(bytes: data))
            case .byteBuffer: try await connection.write(ByteBuffer(bytes: data))
            }
            finished.withLockedValue { $0 = true }
        }
        let stalled = await eventually {
            guard let r = await peer.info(), let s = await connection.info() else { return false }
            return r.rcvWnd == 0 && r.bytesReadable == 64 * 1024 && s.bytesBuffered == 64 * 1024
        }
        #expect(stalled)
        #expect(!finished.withLockedValue { $0 })
        if cancel {
            writer.cancel()
            await #expect(throws: TCPConnectionError.cancelled) { try await writer.value }
            // What was queued before the cancellation is a prefix of the data, in order: more
            // than the peer's full buffer (the two snapshots above may both count bytes in
            // flight, so not necessarily both buffers' worth), not all of it.
            await connection.close()
            let got = try await readAll(peer)
            #expect(got.count > 64 * 1024 && got.count < data.count)
            #expect(got == Array(data[0..<got.count]))
        } else {
            async let received = readAll(peer)
            try await writer.value
            try await connection.shutdown(.write)
            let got = try await received
            #expect(got.count == data.count)
            #expect(got == data)
            await connection.close()
        }
        await peer.close()
        await pair.shutdown()
    }
}
