import Foundation
import Testing
import TestSupport
import TCPCore
import TCPSim
import TCPTrace
import TCPWire

/// The plots of `--format html` on a real transfer: 300 kB from client to server with the 20th
/// data segment lost, driven through the stacks' public API on the simulator.
@Suite struct TransferPlotTests {
    static let total = 300_000

    static func transfer() -> SimulatedNetwork {
        let net = SimulatedNetwork(seed: 7, delay: .milliseconds(20))
        net.addHost("client", address: IPAddress("198.18.0.1")!)
        net.addHost("server", address: IPAddress("198.18.0.2")!)
        net.sampling = .eachInstant
        let listener = try! net.listen("server", port: 80)
        var client: ConnectionID?, server: ConnectionID?
        var sent = 0, received = 0
        let data = [UInt8](repeating: 0x61, count: total)
        func push(_ net: SimulatedNetwork) {
            guard let c = client, sent < total else { return }
            let n = try! net.withStack("client") { s, now in try s.send(c, Array(data[sent...]), now: now) }
            sent += n
            if sent == total { try! net.withStack("client") { s, now in try s.shutdown(c, now: now) } }
        }
        var dataSegments = 0
        net.faultRule = { p in
            guard p.from == "client", p.segment.payloadLength > 0 else { return .deliver }
            dataSegments += 1
            return dataSegments == 20 ? .drop("scripted drop") : .deliver
        }
        net.onEvent = { net, host, event in
            switch event {
            case .connectionAvailable:
                server = try! net.withStack(host) { s, _ in try s.accept(listener) }
            case .established(let c) where host == "client":
                client = c
                push(net)
            case .writable where host == "client":
                push(net)
            case .readable(let c), .peerClosed(let c):
                guard host == "server", c == server else { return }
                while let chunk = try? net.withStack(host, { s, now in try s.receive(c, now: now) }), !chunk.isEmpty { received += chunk.count }
                if case .peerClosed = event { try! net.withStack(host) { s, now in try s.close(c, now: now) } }
            case .closed(let c) where host == "client":
                try? net.withStack(host) { s, now in try s.close(c, now: now) }
            default:
                break
            }
        }
        net.schedule(at: .zero) { net in
            _ = try! net.withStack("client") { s, now in try s.connect(to: SocketAddress(IPAddress("198.18.0.2")!, 80), now: now) }
        }
        net.run(until: .seconds(30))
        #expect(received == total, "every byte arrived")
        return net
    }

    @Test func plotsOfATransferWithALoss() throws {
        let net = Self.transfer()
        let t = net.timeline
        let series = t.sampleSeries
        let client = try #require(series.first { $0.host == "client" }).samples
        #expect(client.count > 15, "\(client.count) samples")
        // Slow start grows the window; the loss makes it come down (RFC 5681 §3.1, §3.2, §3.5).
        let cwnd = client.map(\.cwnd)
        #expect(cwnd.max()! > cwnd[0] * 2, "cwnd grew: \(cwnd)")
        // CUBIC's multiplicative decrease is β = 0.7 (RFC 9438 §4.6); with SACK recovery (RFC 6675)
        // and PRR, cwnd lands on ssthresh = 0.7·cwnd rather than dipping below it.
        #expect(cwnd.indices.contains { i in i > 0 && cwnd[i] <= cwnd[..<i].max()! * 3 / 4 }, "cwnd was cut after the loss: \(cwnd)")
        #expect(client.contains { $0.bytesInFlight > 20_000 })
        #expect(client.contains { $0.info.bytesRetransmitted > 0 })
        #expect(t.retransmittedPackets.count >= 1)
        #expect(net.payloadBytesDelivered >= Self.total)

        let page = HTMLRenderer(title: "300 kB with a loss").render(t)
        let paths = regexMatches(#"<path class="plot (\w+)" data-metric="\w+" data-host="client" [^>]* d="([^"]*)""#, in: page)
        try #require(paths.count == 3)
        for p in paths {
            let expected = p[1] == "srtt" ? client.filter { $0.srtt != nil }.count : client.count
            #expect(HTMLRendererTests.vertices(p[2]).count == expected, "\(p[1])")
        }
        #expect(regexMatches(#"<line class="segment[^"]*retransmission""#, in: page).count == t.retransmittedPackets.count)
        if let keep = ProcessInfo.processInfo.environment["TCPKIT_KEEP_TRANSFER_HTML"] {
            try Data(page.utf8).write(to: URL(fileURLWithPath: keep))
        }
    }
}

extension TransferPlotTests {
    @Test func longLaddersAreCut() {
        let t = Self.transfer().timeline
        let sends = t.entries.filter { if case .send = $0.kind { true } else { false } }.count
        var r = HTMLRenderer(title: "cut")
        r.ladderLimit = 50
        let page = r.render(t)
        let drawn = regexMatches(#"<line class="segment"#, in: page).count
        // The 50th segment's instant is drawn whole: at least 50, and fewer than all.
        #expect(drawn >= 50 && drawn < 60, "\(drawn)")
        #expect(page.contains("The first \(drawn) of \(sends) segments, until "))
        // The plots and the bands still cover the whole run.
        #expect(page.contains(#"data-state="TIME-WAIT""#))
        r.ladderLimit = nil
        #expect(regexMatches(#"<line class="segment"#, in: r.render(t)).count == sends)
    }
}
