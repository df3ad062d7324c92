import TCPCore
import TCPWire

extension Scenario {
    /// A path whose MTU (1280) is smaller than the hosts' (1500), with both recoveries: the
    /// client's request meets a router that sends ICMP (classic PMTUD, RFC 1191 / RFC 8201), the
    /// server's answer one that sends none (a black hole, RFC 2923 §2.1), which only
    /// packetization-layer PMTUD (RFC 4821) gets through.
    public static let pmtuBlackHole = Scenario(
        "pmtu-black-hole",
        "a 1280-byte path MTU: ICMP lowers the client's MSS at once; the server's side sends no ICMP, so it finds the black hole by timeouts and probes",
        "路径 MTU 为 1280 字节：客户端靠 ICMP 立即降低 MSS；服务器方向没有 ICMP，只能靠超时发现黑洞并用探测报文寻找合适的大小"
    ) { o, app in
        var up = LinkModel(delay: o.delay)
        up.pathMTU = pmtuPath
        var down = up
        down.sendsPacketTooBig = false
        app.net.setLink(up, from: "client", to: "server")
        app.net.setLink(down, from: "server", to: "client")
        let request = (0..<pmtuRequest).map { UInt8(truncatingIfNeeded: $0) }
        let answer = (0..<pmtuAnswer).map { UInt8(truncatingIfNeeded: $0 &* 3) }
        app.start()
        app.onEstablished["client"] = { $0.send("client", request, "a \(pmtuRequest)-byte request") }
        var answered = false
        app.onRead["server"] = { app, received in
            guard !answered, received.count == request.count else { return }
            answered = true
            app.send("server", answer, "a \(pmtuAnswer)-byte answer")
            app.shutdown("server")
        }
        let ipv6 = o.ipv6
        let header = ipv6 ? 60 : 40
        let mss = 1500 - header - 12, pathMSS = pmtuPath - header - 12
        let base = ipv6 ? pathMSS : 1024   // TCPConfiguration.pathMTUProbeBaseMSS, not below the minimum MTU (IPv6: 1280)
        return Explanation(en: [
            "Both hosts have a 1500-byte MTU, so each announces an MSS of \(1500 - header) and sends segments of \(mss) bytes of data (\(1500 - header) less 12 bytes of timestamps). Somewhere on the path the MTU is only \(pmtuPath) bytes; every segment is sent with Don't Fragment (IPv6 is never fragmented on the way), so a router must drop a larger packet (RFC 1191 §3, RFC 8201 §3).",
            "Client → server: the router says why. Its ICMP \(ipv6 ? "Packet Too Big" : "Fragmentation Needed") carries the next-hop MTU, \(pmtuPath); the client checks that it quotes a sequence number it has in flight (RFC 5927 §4.1), lowers its MSS for that destination to \(pathMSS) and resends at once (RFC 1191 §6.5; RFC 9293 §3.7.3): no timeout, and no congestion response, since nothing was congested. The later messages for the other dropped segments change nothing (\"dropped: icmp-mtu-not-smaller\").",
            "Server → client: this router drops the big segments and says nothing (a filter that discards ICMP: the \"black hole\" of RFC 2923 §2.1). The server sees only silence and retransmits on its timer, 1, 2, 4 s apart (RFC 6298 §5.5). The small ACKs still get through, so the connection is alive but no full-sized segment is.",
            "After the third timeout of the same data (R1, RFC 9293 §3.8.3) the server takes it for a black hole (RFC 4821 §7.6.2, as Linux's tcp_mtu_probing = 1): it lowers its MSS to \(base) bytes and the data gets through.",
            "Then it searches upward (RFC 4821 §7.3): one segment of new data larger than the MSS, halfway to the last size that failed, with more data behind it. A probe that is acknowledged raises the MSS to its size; one that is lost lowers the upper bound and its data goes again at the working size, without halving cwnd (§7.5): a lost probe says the packet was too big, not that the network is congested. In 10 minutes (§7.7) it will look again.",
        ], zh: [
            "两台主机的 MTU 都是 1500 字节，因此各自通告的 MSS 为 \(1500 - header)，每个报文段携带 \(mss) 字节数据（\(1500 - header) 减去 12 字节时间戳）。路径上某处的 MTU 只有 \(pmtuPath) 字节；每个报文段都设置了“不分片”（IPv6 在途中从不分片），所以路由器必须丢弃更大的分组（RFC 1191 §3，RFC 8201 §3）。",
            "客户端 → 服务器：路由器说明了原因。它的 ICMP \(ipv6 ? "Packet Too Big（分组过大）" : "Fragmentation Needed（需要分片）")报文带有下一跳 MTU \(pmtuPath)；客户端先核对报文引用的序列号确实在途（RFC 5927 §4.1），再把发往该目的地的 MSS 降为 \(pathMSS) 并立即重发（RFC 1191 §6.5；RFC 9293 §3.7.3）：没有超时，也没有拥塞响应，因为网络并不拥塞。之后其余被丢弃报文段引发的 ICMP 不再改变什么（“dropped: icmp-mtu-not-smaller”）。",
            "服务器 → 客户端：这个方向的路由器丢弃大报文段却一言不发（一个过滤掉 ICMP 的防火墙：RFC 2923 §2.1 所说的“黑洞”）。服务器只看到沉默，按定时器重传，间隔 1、2、4 秒（RFC 6298 §5.5）。小的 ACK 仍能通过，所以连接是活的，只是满尺寸的报文段过不去。",
            "同一数据第三次超时后（R1，RFC 9293 §3.8.3），服务器判定这是黑洞（RFC 4821 §7.6.2，与 Linux 的 tcp_mtu_probing = 1 相同）：把 MSS 降到 \(base) 字节，数据随即通过。",
            "随后它向上搜索（RFC 4821 §7.3）：发送一个比 MSS 大的新数据报文段，大小取到上次失败尺寸的一半处，后面还跟着更多数据。探测报文被确认，MSS 就升到它的大小；探测报文丢失，则降低搜索上界，其数据按可用的尺寸重发，而且不把 cwnd 减半（§7.5）：探测报文丢失说明分组太大，而不是网络拥塞。10 分钟后（§7.7）它会再次尝试。",
        ])
    }

    static let pmtuPath = 1280
    static let pmtuRequest = 6000
    static let pmtuAnswer = 60_000
}
