import NIOConcurrencyHelpers
import Testing
import TCPCore
import TCPNet
import TCPWire

@Suite(.timeLimit(.minutes(1)))
struct HookTests {
    final class Recorder: Sendable {
        struct Seen { var records: [TraceRecord] = []; var packets: [(PacketDirection, Instant, [UInt8])] = [] }
        let seen = NIOLockedValueBox(Seen())
        var hooks: NetworkStack.Hooks {
            NetworkStack.Hooks(
                trace: { r in self.seen.withLockedValue { $0.records.append(r) } },
                packets: { d, t, p in self.seen.withLockedValue { $0.packets.append((d, t, Array(p))) } })
        }
    }

    @Test("trace and packet hooks see every engine record and every packet, in time order")
    func hooksSeeEverything() async throws {
        let devices = InMemoryDevicePair()
        let recorder = Recorder()
        let client = try NetworkStack(device: devices.a, addresses: [StackPair.clientV4], configuration: StackPair.configuration,
                                      hooks: recorder.hooks)
        let server = try NetworkStack(device: devices.b, addresses: [StackPair.serverV4], configuration: StackPair.configuration)
        let listener = try server.listen(port: 9)
        let accepted = Task { try await listener.accept() }
        let c = try await client.connect(to: SocketAddress(StackPair.serverV4, 9))
        let peer = try #require(try await accepted.value)
        try await c.write(Array("traced".utf8))
        #expect(try await peer.read() == Array("traced".utf8))
        await c.close()
        #expect(try await peer.read() == nil)
        await peer.close()
        #expect(await eventually { await client.statistics().connections == 0 })
        let stats = await client.statistics()
        await client.shutdown()
        await server.shutdown()

        let seen = recorder.seen.withLockedValue { $0 }
        // Every packet the driver counted went through the packet hook, in order of time.
        #expect(seen.packets.filter { $0.0 == .sent }.count == stats.driver.packetsSent)
        #expect(seen.packets.filter { $0.0 == .received }.count == stats.driver.packetsReceived)
        #expect(zip(seen.packets, seen.packets.dropFirst()).allSatisfy { $0.1 <= $1.1 })
        // The first packet out is our SYN: IPv4, TCP, SYN flag only.
        let syn = try #require(seen.packets.first)
        #expect(syn.0 == .sent && syn.2[0] >> 4 == 4 && syn.2[9] == 6 && syn.2[20 + 13] == 0x02)
        // The trace has the client's whole life: SYN-SENT, ESTABLISHED, FIN-WAIT-1 ... TIME-WAIT, CLOSED.
        let states = seen.records.compactMap { r -> TCPState? in
            if case .state(_, let to) = r.kind { return to } else { return nil }
        }
        // (FIN-WAIT-2 is skipped when the peer's ACK of our FIN rides on its own FIN.)
        #expect(Array(states.prefix(3)) == [.synSent, .established, .finWait1])
        #expect(Array(states.suffix(2)) == [.timeWait, .closed])
        let sends = seen.records.filter { if case .send = $0.kind { true } else { false } }.count
        #expect(sends == stats.tcp.segmentsSent)
    }
}
