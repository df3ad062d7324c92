import TCPCore
import TCPTrace
import TCPWire

/// Knobs every scenario takes.
public struct ScenarioOptions: Sendable {
    public var seed: UInt64 = 1
    public var delay: Duration = .milliseconds(10)
    public var ipv6 = false
    public var msl: Duration = .seconds(30)
    public init() {}
}

/// The outcome of a scenario run.
public struct ScenarioRun {
    public var name: String
    public var network: SimulatedNetwork
    public var explanation: [String]
    public var timeline: Timeline { network.timeline }
}

/// A named, explained run on the simulated network.
public struct Scenario: Sendable {
    public var name: String
    public var summary: String
    public var run: @Sendable (ScenarioOptions) -> ScenarioRun

    public static let all: [Scenario] = [classic]

    public static func named(_ name: String) -> Scenario? { all.first { $0.name == name } }
}

extension Scenario {
    /// Two hosts, client and server, on the simulator, addresses from 198.18.0.0/15 (or the IPv6
    /// documentation prefix).
    static func pair(_ o: ScenarioOptions) -> SimulatedNetwork {
        let net = SimulatedNetwork(seed: o.seed, delay: o.delay)
        var config = TCPConfiguration()
        config.msl = o.msl
        net.addHost("client", address: o.ipv6 ? IPAddress("2001:db8::1")! : IPAddress("198.18.0.1")!, configuration: config)
        net.addHost("server", address: o.ipv6 ? IPAddress("2001:db8::2")! : IPAddress("198.18.0.2")!, configuration: config)
        return net
    }

    static let serverPort: UInt16 = 80

    /// Schedules the client's connect() at time zero and labels both ends with their sockets.
    static func connectClient(_ net: SimulatedNetwork, at time: Instant = .zero, _ done: @escaping (ConnectionID) -> Void = { _ in }) {
        let server = SocketAddress(net.address(of: "server"), serverPort)
        net.label("server", server.description)
        net.schedule(at: time) { net in
            net.note("client", "connect()")
            let c = try! net.withStack("client") { s, now in try s.connect(to: server, now: now) }
            if let info = net.withStack("client", { s, _ in s.info(of: c) }) { net.label("client", info.local.description) }
            done(c)
        }
    }

    /// The classic connection: handshake, a request and an answer, the client closes, the server
    /// still sends a last message from CLOSE-WAIT, then closes; TIME-WAIT runs out.
    public static let classic = Scenario(
        name: "classic",
        summary: "handshake, request and answer, four-way close with data in CLOSE-WAIT, TIME-WAIT"
    ) { o in
        let net = pair(o)
        let request = Array("GET / HTTP/1.0\r\n\r\n".utf8)
        let answer = Array("HTTP/1.0 200 OK\r\n\r\nhello\n".utf8)
        let last = Array("bye\n".utf8)
        var serverConn: ConnectionID?
        var clientConn: ConnectionID?
        var received: [String: [UInt8]] = [:]
        let listener = try! net.listen("server", port: serverPort)
        connectClient(net) { clientConn = $0 }
        net.onEvent = { net, host, event in
            switch (host, event) {
            case ("server", .connectionAvailable):
                serverConn = try! net.withStack("server") { s, _ in try s.accept(listener) }
                net.note("server", "accept()")
            case ("client", .established(let c)):
                net.note("client", "send \(request.count) bytes: the request")
                _ = try! net.withStack("client") { s, now in try s.send(c, request, now: now) }
            case (_, .readable(let c)):
                let bytes = drain(net, host, c, into: &received)
                if host == "server" && bytes == request.count {
                    net.note("server", "send \(answer.count) bytes: the answer")
                    _ = try! net.withStack("server") { s, now in try s.send(c, answer, now: now) }
                } else if host == "client" && received["client"]?.count == answer.count {
                    net.note("client", "shutdown(): no more to send, FIN")
                    try! net.withStack("client") { s, now in try s.shutdown(c, now: now) }
                }
            case ("server", .peerClosed(let c)):
                _ = drain(net, host, c, into: &received)
                // The passive side ACKed the FIN at once; it may still send before its own FIN.
                net.schedule(after: .milliseconds(5)) { net in
                    net.note("server", "send \(last.count) bytes in CLOSE-WAIT")
                    _ = try! net.withStack("server") { s, now in try s.send(c, last, now: now) }
                }
                net.schedule(after: .milliseconds(15)) { net in
                    net.note("server", "close(): FIN")
                    try! net.withStack("server") { s, now in try s.close(c, now: now) }
                }
            case ("client", .peerClosed(let c)):
                _ = drain(net, host, c, into: &received)
                net.note("client", "end of stream; close()")
                try! net.withStack("client") { s, now in try s.close(c, now: now) }
            default:
                break
            }
        }
        net.run()
        _ = serverConn
        _ = clientConn
        let mslText = describe(o.msl)
        return ScenarioRun(name: "classic", network: net, explanation: [
            "Three-way handshake (RFC 9293 §3.5): SYN seq=x, SYN-ACK seq=y ack=x+1, ACK seq=x+1 ack=y+1; here the third segment already carries the client's request, which TCP allows.",
            "x and y are random (RFC 6528), not 1: the numbers in brackets are relative to each side's ISN, as Wireshark shows them.",
            "SYN and FIN each take one sequence number; a pure ACK takes none (RFC 9293 §3.4).",
            "The client's FIN puts it in FIN-WAIT-1; the server ACKs at once and stays in CLOSE-WAIT, where it may still send (half-close, §3.6).",
            "The server's FIN (LAST-ACK) is answered by the client's last ACK; the client then waits in TIME-WAIT for 2×MSL = 2×\(mslText) (§3.6.1) so a lost last ACK can be repeated and old duplicates die out.",
        ])
    }

    static func drain(_ net: SimulatedNetwork, _ host: String, _ c: ConnectionID, into received: inout [String: [UInt8]]) -> Int {
        var total = 0
        while let chunk = try? net.withStack(host, { s, now in try s.receive(c, now: now) }), !chunk.isEmpty {
            received[host, default: []] += chunk
            total += chunk.count
        }
        if total > 0 { net.note(host, "read \(total) bytes") }
        return total
    }

    static func describe(_ d: Duration) -> String {
        let ns = d.nanoseconds
        if ns % 1_000_000_000 == 0 { return "\(ns / 1_000_000_000) s" }
        return "\(Double(ns) / 1e9) s"
    }
}
