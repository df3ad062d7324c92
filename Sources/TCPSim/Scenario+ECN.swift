import TCPCore
import TCPTrace
import TCPWire

extension Scenario {
    /// ECN (RFC 3168): both sides agree on it in the handshake; the bottleneck's queue marks
    /// packets CE instead of dropping them; the receiver echoes the mark with ECE until the
    /// sender, having reduced cwnd, says CWR. No packet is lost.
    public static let ecn = Scenario(
        name: "ecn",
        summary: "ECN (RFC 3168): negotiated in the handshake, a full queue marks CE instead of dropping, ECE, one cwnd reduction, CWR",
        summaryZh: "ECN（RFC 3168）：握手中协商，队列拥塞时标记 CE 而不是丢包，ECE 回显，拥塞窗口减小一次，CWR"
    ) { o in
        let net = Scenario.pair(o) { _, config in config.ecn = .on }
        var link = LinkModel(delay: o.delay)
        link.bandwidthBitsPerSecond = ecnBandwidth
        link.queue = .packets(ecnQueue)
        link.ecnMarkThreshold = .packets(ecnThreshold)
        net.setLink(link)
        let app = ScenarioApp(net)
        let data = (0..<ecnData).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        app.start()
        app.onEstablished["client"] = { $0.send("client", data, "\(ecnData) bytes") }
        app.onRead["server"] = { app, received in
            if received.count == data.count { app.close("server", "all \(data.count) bytes read; close(): FIN") }
        }
        app.onPeerClosed["client"] = { $0.close("client", "end of stream; close()") }
        net.run()
        let marks = net.counters(from: "client", to: "server").ceMarked
        let lost = net.counters(from: "client", to: "server").queueDrops + net.counters(from: "client", to: "server").lost
        let client = net.withStack("client") { s, _ in s.statistics }
        let server = net.withStack("server") { s, _ in s.statistics }
        let rate = Int(ecnBandwidth / 1e6)
        let explanation = Explanation(en: [
            "Both stacks ask for ECN (TCPConfiguration.ecn = .on, Linux's tcp_ecn = 1). The client's SYN is an ECN-setup SYN: flags ECE and CWR both set (RFC 3168 §6.1.1). The server agrees with an ECN-setup SYN-ACK, ECE alone; a peer without ECN would answer with neither and the connection would run without it. SYN and SYN-ACK themselves are not ECN-capable.",
            "From then on every new data segment leaves with ECT(0) in the IP header's ECN field (§6.1.4–6.1.5); pure ACKs, retransmissions and window probes do not. `--pcap` shows the field: tshark -e ip.dsfield.ecn.",
            "The link runs at \(rate) Mbit/s with a queue of \(ecnQueue) packets whose marker sets CE on ECN-capable packets once \(ecnThreshold) or more wait: the initial window of ten segments arrives at once, the queue grows, and \(marks) packets are marked Congestion Experienced instead of being dropped (\(lost) lost).",
            "The server sees CE and acknowledges at once; from that ACK on every segment it sends carries ECE (§6.1.3): \(server.ecnCEReceived) CE marks arrived.",
            "The first ECE is the client's congestion signal. It reduces cwnd as for a loss — CUBIC's multiplicative decrease sets ssthresh, cwnd falls to it — but retransmits nothing, since nothing was lost (§6.1.2). Further ECEs for the data sent before the reduction change nothing, and cwnd does not grow until that window is acknowledged: at most one reduction per window of data (\(client.ecnEchoesReceived) ACKs with ECE, \(client.ecnReductions) reduction\(client.ecnReductions == 1 ? "" : "s") in this run, as marks continue while the queue stays long).",
            "The client's next new data segment carries CWR. The server stops setting ECE once it arrives; the transfer goes on with the smaller window and ends with the usual close.",
        ], zh: [
            "双方都请求 ECN（TCPConfiguration.ecn = .on，相当于 Linux 的 tcp_ecn = 1）。客户端的 SYN 是“ECN 协商 SYN”：同时置 ECE 和 CWR 标志（RFC 3168 §6.1.1）。服务器以“ECN 协商 SYN-ACK”同意，只置 ECE；不支持 ECN 的对端两个都不置，连接就不使用 ECN。SYN 和 SYN-ACK 本身不是 ECN 可用（ECN-capable）报文。",
            "此后每个新数据报文段在 IP 首部的 ECN 字段中带 ECT(0)（§6.1.4–6.1.5）；纯 ACK、重传报文和窗口探测报文不带。`--pcap` 输出中可以看到这个字段：tshark -e ip.dsfield.ecn。",
            "链路速率为 \(rate) Mbit/s，队列容量 \(ecnQueue) 个包；当排队的包达到 \(ecnThreshold) 个或更多时，标记器给 ECN 可用的包打上 CE 标记。初始窗口的十个报文段同时到达，队列变长，于是 \(marks) 个包被标记为“遇到拥塞”（CE），而不是被丢弃（丢失 \(lost) 个）。",
            "服务器看到 CE 后立即确认；从这个 ACK 开始，它发出的每个报文段都带 ECE（§6.1.3）：共收到 \(server.ecnCEReceived) 个 CE 标记。",
            "第一个 ECE 就是客户端收到的拥塞信号。它像丢包一样减小拥塞窗口——CUBIC 的乘性减小设置 ssthresh，cwnd 降到 ssthresh——但不重传任何数据，因为没有数据丢失（§6.1.2）。针对减小之前已发送数据的后续 ECE 不再起作用，在这个窗口被确认之前 cwnd 也不增长：每个数据窗口最多减小一次（本次运行共收到 \(client.ecnEchoesReceived) 个带 ECE 的 ACK，拥塞窗口减小 \(client.ecnReductions) 次，因为队列一直较长，标记也持续出现）。",
            "客户端下一个新数据报文段带 CWR。服务器收到它之后不再设置 ECE；传输以较小的窗口继续进行，最后正常关闭连接。",
        ])
        return ScenarioRun(name: "ecn", network: net, explanations: explanation)
    }

    static let ecnBandwidth = 2e6
    static let ecnQueue = 20
    static let ecnThreshold = 4
    static let ecnData = 30_000
}
