import Testing
import TestSupport
import TCPSim

/// SHA-256 against the FIPS 180-2 Appendix B examples and NIST's long message, and the streaming
/// interface against the one-shot one across block boundaries.
@Suite struct SHA256Tests {
    static func hex(_ s: String) -> String { SHA256.hex(SHA256.hash(Array(s.utf8))) }

    @Test func standardVectors() {
        #expect(Self.hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(Self.hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        // 56 bytes: the padding needs a second block.
        #expect(Self.hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        // 112 bytes (FIPS 180-4 examples, SHA-256 of the two-block message).
        #expect(Self.hex("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu")
                == "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1")
    }

    @Test func millionAs() {
        var h = SHA256()
        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 1000)
        for _ in 0..<1000 { h.update(chunk) }
        #expect(h.count == 1_000_000)
        #expect(h.hexDigest() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test("streaming in odd pieces gives the one-shot digest", arguments: [1, 3, 55, 56, 63, 64, 65, 127, 1000])
    func streaming(piece: Int) {
        let message = (0..<3001).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
        var h = SHA256()
        var i = 0
        while i < message.count {
            h.update(message[i..<min(message.count, i + piece)])
            i += piece
        }
        #expect(h.finalize() == SHA256.hash(message))
        // finalize leaves the hasher as it was: more input continues the same message.
        h.update([1, 2, 3])
        #expect(h.finalize() == SHA256.hash(message + [1, 2, 3]))
    }
}
