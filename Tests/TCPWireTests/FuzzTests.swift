// Fuzz-style property tests: whatever bytes arrive, every parser returns a value or throws a
// WireError (the typed `throws(WireError)` makes the second half a compile-time fact; these tests
// check the first half: no trap, no read outside the bytes). A trap here kills the test process;
// it is reproduced by rerunning with the same seed: TCPWIRE_SEED=<seed> swift test --filter FuzzTests.
//
// When a parse succeeds, some invariants are also checked: the payload lies inside the input,
// a checksum-verified parse agrees with an unverified one, and a verified packet re-verifies
// with the reference checksum.

import Testing
import TCPWire

/// Runs every parser over `bytes` and checks the invariants; returns a description of the first
/// violated one, or nil.
private func exercise(_ bytes: [UInt8]) -> String? {
    bytes.withUnsafeBytes { raw -> String? in
        let verified = Result { () throws(WireError) in try TCPPacket.parse(raw, verifyChecksum: true) }
        let unverified = Result { () throws(WireError) in try TCPPacket.parse(raw, verifyChecksum: false) }
        _ = Result { () throws(WireError) in try TCPHeader.parse(raw) }
        _ = Result { () throws(WireError) in try TCPOptions.parse(raw) }
        _ = Result { () throws(WireError) in try IPv4Header.parse(raw) }
        _ = Result { () throws(WireError) in try IPv6Header.parse(raw) }

        if case .success(let view) = unverified {
            guard let base = raw.baseAddress else { return "success on an empty buffer" }
            let start = view.payload.baseAddress.map { $0 - base } ?? 0
            if start < 0 || start + view.payload.count > raw.count {
                return "payload \(start)..<\(start + view.payload.count) outside 0..<\(raw.count)"
            }
            if Int(view.header.dataOffset) < 5 { return "data offset \(view.header.dataOffset)" }
        }
        switch (verified, unverified) {
        case (.success(let v), .success(let u)):
            if v.header != u.header || v.source != u.source || v.payload.count != u.payload.count {
                return "verified and unverified parses differ"
            }
        case (.success, .failure(let e)):
            return "verified parse succeeded, unverified failed with \(e)"
        case (.failure(let ve), .failure(let ue)) where ve != ue && ve != .badTCPChecksum:
            // The checksum is verified before the TCP header is believed (RFC 9293 §3.1): a bad
            // checksum may hide a header error the unverified parse reports; nothing else may differ.
            return "verified parse failed with \(ve), unverified with \(ue): only the checksum may differ"
        case (.failure(let ve), .success):
            if ve != .badTCPChecksum { return "verified parse failed with \(ve) but unverified succeeded" }
        default:
            break
        }
        return nil
    }
}

/// Makes an IPv4 or IPv6 header at the front of `bytes` coherent (lengths, protocol, checksum), so
/// random bytes get past the IP layer and into TCP.
private func makeIPCoherent(_ bytes: inout [UInt8], _ rng: inout SplitMix64) {
    if bytes.count >= 20, bytes[0] >> 4 == 4 {
        bytes[0] = 0x45
        put16(&bytes, 2, UInt16(bytes.count - Int.random(in: 0...min(3, bytes.count - 20), using: &rng)))
        put16(&bytes, 6, 0x4000)
        bytes[9] = 6
        fixIPv4Checksum(&bytes)
    } else if bytes.count >= 40, bytes[0] >> 4 == 6 {
        put16(&bytes, 4, UInt16(bytes.count - 40))
        bytes[6] = 6
    }
}

/// How to rerun a failing case, for failure messages.
private func replay(_ seed: UInt64) -> String {
    "seed \(seed) (replay: TCPWIRE_SEED=\(seed) swift test --scratch-path .build-wire --filter TCPWireTests.FuzzTests)"
}

@Suite("Fuzz: parsers never trap")
struct FuzzTests {
    @Test("100k random byte strings of length 0...120")
    func randomBytes() {
        let seed = testSeed(0xF022_0001)
        var rng = SplitMix64(seed: seed)
        var failures = 0
        for i in 0..<100_000 {
            var bytes = rng.bytes(Int.random(in: 0...120, using: &rng))
            if !bytes.isEmpty {
                // Bias the version nibble towards 4 and 6, sometimes with a coherent IP header.
                switch rng.next() % 4 {
                case 0: bytes[0] = 0x40 | bytes[0] & 0x0f
                case 1: bytes[0] = 0x60 | bytes[0] & 0x0f
                case 2: bytes[0] = (rng.chance(0.5) ? 0x40 : 0x60) | bytes[0] & 0x0f; makeIPCoherent(&bytes, &rng)
                default: break
                }
            }
            if let problem = exercise(bytes) {
                failures += 1
                if failures <= 5 { Issue.record("\(replay(seed)) iteration \(i): \(problem): \(hexString(bytes))") }
            }
        }
        #expect(failures == 0, "\(replay(seed))")
    }

    @Test("100k mutations of valid IPv4 and IPv6 packets: flips, truncations, extensions")
    func mutatedPackets() {
        let seed = testSeed(0xF022_0002)
        var rng = SplitMix64(seed: seed)
        // A pool of valid packets, plus the known Linux vectors.
        var pool = (0..<64).map { k in randomPacket(&rng, v6: k % 2 == 1, maxPayload: 40) }
        pool += [KnownVectorTests.syn, KnownVectorTests.synAck, KnownVectorTests.synV6, samplePacket(v6: false), samplePacket(v6: true)]
        var failures = 0
        var parsedAfterMutation = 0
        for i in 0..<100_000 {
            var bytes = pool[Int(rng.next() % UInt64(pool.count))]
            let mutations = Int.random(in: 1...4, using: &rng)
            for _ in 0..<mutations {
                switch rng.next() % 6 {
                case 0, 1:   // flip some bits of one byte
                    if !bytes.isEmpty { bytes[Int(rng.next() % UInt64(bytes.count))] ^= UInt8.random(in: 1...255, using: &rng) }
                case 2:      // set a byte to an edge value
                    if !bytes.isEmpty { bytes[Int(rng.next() % UInt64(bytes.count))] = [0, 1, 0x7f, 0x80, 0xff][Int(rng.next() % 5)] }
                case 3:      // truncate
                    bytes.removeLast(Int.random(in: 0...bytes.count, using: &rng))
                case 4:      // extend with random bytes
                    bytes += rng.bytes(Int.random(in: 1...40, using: &rng))
                default:     // aim at the TCP header: offset and option bytes
                    let ipLength = bytes.first.map { $0 >> 4 == 6 ? 40 : 20 } ?? 20
                    let at = ipLength + Int.random(in: 12...59, using: &rng)
                    if at < bytes.count { bytes[at] = UInt8.random(in: .min ... .max, using: &rng) }
                }
            }
            // Half the time repair the IP header, so the mutation is judged by the TCP layer.
            if rng.chance(0.5) { makeIPCoherent(&bytes, &rng) }
            if wireError({ () throws(WireError) in try parsePacket(bytes, verifyChecksum: false) }) == nil { parsedAfterMutation += 1 }
            if let problem = exercise(bytes) {
                failures += 1
                if failures <= 5 { Issue.record("\(replay(seed)) iteration \(i): \(problem): \(hexString(bytes))") }
            }
        }
        #expect(failures == 0, "\(replay(seed))")
        // The mutations must reach the TCP layer often enough to mean something.
        #expect(parsedAfterMutation > 5_000, "seed \(seed): only \(parsedAfterMutation) mutated packets parsed")
    }

    @Test("a checksum-verified parse of a mutated packet only succeeds if the reference checksum agrees")
    func verifiedMeansVerified() {
        let seed = testSeed(0xF022_0003)
        var rng = SplitMix64(seed: seed)
        for i in 0..<5_000 {
            let v6 = rng.chance(0.5)
            var bytes = randomPacket(&rng, v6: v6, maxPayload: 30)
            let ipLength = v6 ? 40 : 20
            let at = Int.random(in: ipLength..<bytes.count, using: &rng)
            bytes[at] ^= UInt8.random(in: 1...255, using: &rng)
            guard let segment = try? parsePacket(bytes) else { continue }
            Issue.record("\(replay(seed)) iteration \(i): a changed byte at \(at) still verified: \(segment.header)")
        }
    }
}
