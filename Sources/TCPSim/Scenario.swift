import TCPCore
import TCPTrace
import TCPWire

/// A named, explained run on the simulated network.
public struct Scenario: Sendable {
    public var name: String
    public var summary: String
    public var summaryZh: String
    public var run: @Sendable (ScenarioOptions) -> ScenarioRun

    public init(name: String, summary: String, summaryZh: String, run: @escaping @Sendable (ScenarioOptions) -> ScenarioRun) {
        self.name = name
        self.summary = summary
        self.summaryZh = summaryZh
        self.run = { o in
            var r = run(o)
            r.options = o
            return r
        }
    }

    /// A scenario on the usual pair of hosts: `script` sets up the applications (and faults) and
    /// returns the explanation; the network then runs until nothing is left to happen.
    init(_ name: String, _ summary: String, _ summaryZh: String,
         configure: @escaping @Sendable (_ host: String, inout TCPConfiguration) -> Void = { _, _ in },
         script: @escaping @Sendable (ScenarioOptions, ScenarioApp) -> Explanation) {
        self.init(name: name, summary: summary, summaryZh: summaryZh) { o in
            let net = Scenario.pair(o, configure)
            let explanation = script(o, ScenarioApp(net))
            net.run()
            return ScenarioRun(name: name, network: net, explanations: explanation)
        }
    }

    public func summary(_ language: Language) -> String { language == .en ? summary : summaryZh }

    public static let all: [Scenario] = [
        classic,
        lostSYN, lostSYNACK, lostACK, lostACKIdle, staleSYN, lateDuplicateSYN, simultaneousOpen,
        threeWayClose, halfClose, simultaneousClose, lostFinalACK, timeWaitReuse,
        reset, refused, retriesExhausted, zeroWindow, bulk,
        synFlood, synFloodNoCookies, pmtuBlackHole, ecn,
    ]

    public static func named(_ name: String) -> Scenario? { all.first { $0.name == name } }
}

extension Scenario {
    /// Two hosts, client and server, on the simulator, addresses from 198.18.0.0/15 (or the IPv6
    /// documentation prefix).
    static func pair(_ o: ScenarioOptions, _ configure: (String, inout TCPConfiguration) -> Void = { _, _ in }) -> SimulatedNetwork {
        let net = SimulatedNetwork(seed: o.seed, delay: o.delay)
        net.sampling = o.sampling
        for (host, v4, v6) in [("client", "198.18.0.1", "2001:db8::1"), ("server", "198.18.0.2", "2001:db8::2")] {
            var config = TCPConfiguration()
            config.msl = o.msl
            configure(host, &config)
            net.addHost(host, address: IPAddress(o.ipv6 ? v6 : v4)!, configuration: config)
        }
        return net
    }

    static let serverPort: UInt16 = 80
    static let request = Array("GET / HTTP/1.0\r\n\r\n".utf8)
    static let answer = Array("HTTP/1.0 200 OK\r\n\r\nhello\n".utf8)

    /// The classic connection: handshake, a request and an answer, the client closes, the server
    /// still sends a last message from CLOSE-WAIT, then closes; TIME-WAIT runs out.
    public static let classic = Scenario(
        "classic",
        "handshake, request and answer, four-way close with data in CLOSE-WAIT, TIME-WAIT",
        "三次握手、请求与应答、四次挥手（CLOSE-WAIT 中仍发送数据）、TIME-WAIT"
    ) { o, app in
        let last = Array("bye\n".utf8)
        app.start()
        app.exchange()
        app.onPeerClosed["client"] = { $0.close("client", "end of stream; close()") }
        // The passive side ACKed the FIN at once; it may still send before its own FIN.
        app.onPeerClosed["server"] = { app in
            app.after(.milliseconds(5)) { $0.send("server", last, "the last message, in CLOSE-WAIT") }
            app.after(.milliseconds(15)) { $0.close("server", "close(): FIN") }
        }
        let msl = describe(o.msl)
        return Explanation(en: [
            "Three-way handshake (RFC 9293 §3.5): SYN seq=x, SYN-ACK seq=y ack=x+1, ACK seq=x+1 ack=y+1; here the third segment already carries the client's request, which TCP allows.",
            "x and y are random (RFC 6528), not 1: the numbers in brackets are relative to each side's ISN, as Wireshark shows them.",
            "SYN and FIN each take one sequence number; a pure ACK takes none (RFC 9293 §3.4).",
            "The client's FIN puts it in FIN-WAIT-1; the server ACKs at once and stays in CLOSE-WAIT, where it may still send (half-close, §3.6.1).",
            "The server's FIN (LAST-ACK) is answered by the client's last ACK; the client then waits in TIME-WAIT for 2×MSL = 2×\(msl) (§3.6, §3.10.8) so a lost last ACK can be repeated and old duplicates die out.",
        ], zh: [
            "三次握手（RFC 9293 §3.5）：SYN seq=x，SYN-ACK seq=y ack=x+1，ACK seq=x+1 ack=y+1；这里第三个报文段已经携带了客户端的请求数据，TCP 允许这样做。",
            "x 和 y 是随机选取的初始序列号（ISN，RFC 6528），并不是 1：括号中的数字是相对于各自 ISN 的相对序列号，就像 Wireshark 显示的那样。",
            "SYN 和 FIN 各占用一个序列号；纯 ACK 不占用序列号（RFC 9293 §3.4）。",
            "客户端发出 FIN 后进入 FIN-WAIT-1；服务器立即确认，进入 CLOSE-WAIT，此时仍可以继续发送数据（半关闭，§3.6.1）。",
            "服务器的 FIN（进入 LAST-ACK）由客户端的最后一个 ACK 确认；随后客户端在 TIME-WAIT 中等待 2×MSL = 2×\(msl)（§3.6、§3.10.8），以便在最后的 ACK 丢失时能够重发，并让网络中的旧重复报文段消失。",
        ])
    }

    static func describe(_ d: Duration) -> String {
        let ns = d.nanoseconds
        if ns % 1_000_000_000 == 0 { return "\(ns / 1_000_000_000) s" }
        return "\(Double(ns) / 1e9) s"
    }
}
