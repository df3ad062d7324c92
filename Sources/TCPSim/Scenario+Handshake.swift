import TCPCore
import TCPTrace
import TCPWire

/// Opening a connection when things go wrong: each handshake segment lost in turn, an old
/// duplicate SYN, and both sides opening at once.
extension Scenario {
    public static let lostSYN = Scenario(
        "lost-syn",
        "the client's first SYN is lost; it is sent again, same ISN, after the initial RTO of 1 s",
        "客户端的第一个 SYN 丢失；1 秒（初始 RTO）后以相同的 ISN 重传"
    ) { _, app in
        app.faults.drop(.syn(from: "client"), reason: "lost SYN")
        app.start()
        app.exchange()
        return Explanation(en: [
            "The client's SYN is lost on the way. The server never learns of it: it stays in LISTEN and sends nothing, and the client, in SYN-SENT, hears nothing.",
            "With the SYN the client started its retransmission timer at the initial RTO of 1 s (RFC 6298 §2.1: nothing measured yet). When it expires the client sends the SYN again (RFC 6298 §5.4) with the same sequence number: the ISN is chosen once per connection (RFC 9293 §3.4.1) and a retransmission repeats the segment. The RTO doubles (§5.5), so a second loss would cost 2 s more.",
            "The second SYN gets through and the handshake completes 1 s late; the rest is the ordinary connection.",
            "Karn's rule (RFC 6298 §3): a retransmitted segment gives no round-trip sample, since it is unknown which copy was answered; and after a lost SYN the RTO for the data is set to 3 s (§5.7) until a first sample arrives.",
        ], zh: [
            "客户端的 SYN 在途中丢失。服务器对此一无所知：它仍处于 LISTEN 状态，什么也不发送；处于 SYN-SENT 的客户端也收不到任何回应。",
            "客户端发送 SYN 时启动了重传定时器，初始 RTO 为 1 秒（RFC 6298 §2.1：此时还没有测得任何往返时间）。定时器超时后，客户端重传 SYN（RFC 6298 §5.4），序列号不变：ISN 每个连接只选一次（RFC 9293 §3.4.1），重传就是把同一个报文段再发一遍。RTO 随之翻倍（§5.5），如果再丢一次，就要再多等 2 秒。",
            "第二个 SYN 顺利到达，三次握手比正常情况晚 1 秒完成；之后就是普通的连接过程。",
            "Karn 算法（RFC 6298 §3）：重传过的报文段不能用来测量往返时间，因为无法判断对方确认的是哪一份；而且 SYN 丢失过之后，在得到第一个测量值之前，数据的 RTO 设为 3 秒（§5.7）。",
        ])
    }

    public static let lostSYNACK = Scenario(
        "lost-syn-ack",
        "the server's SYN-ACK is lost; the client's SYN retransmission and the server's timer both bring it back",
        "服务器的 SYN-ACK 丢失；客户端重传的 SYN 和服务器自己的重传定时器都会让它重发"
    ) { _, app in
        app.faults.drop(.synACK(from: "server"), reason: "lost SYN-ACK")
        app.start()
        app.exchange()
        return Explanation(en: [
            "The server's SYN,ACK is lost. The server holds a half-open connection in SYN-RECEIVED; the client, still in SYN-SENT, cannot tell whether its SYN or the answer was lost.",
            "Both run a retransmission timer at the initial RTO of 1 s (RFC 6298 §2.1). The client's expires and it sends its SYN again, same sequence number. The server's timer started when the first SYN arrived, one link delay after the client's, so it expires at the very moment the retransmitted SYN arrives: the duplicate SYN (which, as Linux does, makes a SYN-RECEIVED connection resend its SYN,ACK) and the server's own timeout ask for the same segment, and one SYN,ACK goes out. Both sides have doubled their RTO (RFC 6298 §5.5).",
            "The SYN,ACK carries the same ISN as the lost one; the client answers with its ACK, here already carrying the request, and both are ESTABLISHED 1 s late.",
            "Had the client not retransmitted, the server's timer alone would have repaired the loss; had the server not, the client's. Either side can repair a lost SYN,ACK.",
        ], zh: [
            "服务器的 SYN,ACK 丢失。服务器处于 SYN-RECEIVED，持有一个半连接；客户端仍处于 SYN-SENT，无法判断丢的是自己的 SYN 还是对方的应答。",
            "双方都有一个初始 RTO 为 1 秒的重传定时器（RFC 6298 §2.1）。客户端的定时器超时，以相同的序列号重传 SYN。服务器的定时器是在第一个 SYN 到达时启动的，比客户端晚一个链路时延，所以它恰好在重传的 SYN 到达的那一刻超时：重复的 SYN（与 Linux 一样，它会让 SYN-RECEIVED 状态的连接重发 SYN,ACK）和服务器自己的超时要求的是同一个报文段，于是只发出一个 SYN,ACK。双方的 RTO 都已翻倍（RFC 6298 §5.5）。",
            "重发的 SYN,ACK 与丢失的那个使用相同的 ISN；客户端回复 ACK（这里已经携带了请求数据），双方晚 1 秒进入 ESTABLISHED。",
            "即使客户端不重传，服务器的定时器也能单独修复这次丢失；反之亦然。SYN,ACK 丢失可以由任意一方修复。",
        ])
    }

    public static let lostACK = Scenario(
        "lost-ack",
        "the handshake's final ACK is lost; the client's first data segment carries the ACK and repairs it",
        "三次握手的最后一个 ACK 丢失；客户端的第一个数据报文段也携带 ACK，从而修复了它"
    ) { _, app in
        // The client's second segment is the handshake's ACK (its request comes after it).
        app.faults.drop(.segment(2, from: "client", to: "server"), reason: "lost ACK")
        app.start()
        app.exchange(requestAfterACK: true)
        return Explanation(en: [
            "The client's ACK, the third segment of the handshake, is lost. The client is already ESTABLISHED (the SYN,ACK acknowledged its SYN); the server still waits in SYN-RECEIVED.",
            "The client sends its request right after. Every segment after the SYN carries the ACK bit and the acknowledgment number (RFC 9293 §3.1, §3.10.7.4 fifth step): the request says ack=y+1 just as the lost ACK did.",
            "When the request arrives, the server first takes its ACK: SYN-RECEIVED → ESTABLISHED, and its SYN,ACK retransmission timer stops; then it takes the data of the same segment. The loss cost nothing, not even a retransmission.",
            "Without data to send, the server's SYN,ACK retransmission repairs it instead: see `lost-ack-idle`.",
        ], zh: [
            "客户端的 ACK，即三次握手的第三个报文段，丢失了。客户端已经进入 ESTABLISHED（SYN,ACK 确认了它的 SYN）；服务器仍在 SYN-RECEIVED 中等待。",
            "客户端紧接着发送请求。SYN 之后的每个报文段都带有 ACK 标志和确认号（RFC 9293 §3.1、§3.10.7.4 第五步）：请求报文段中的 ack=y+1 与丢失的 ACK 完全相同。",
            "请求到达时，服务器先处理其中的 ACK：SYN-RECEIVED → ESTABLISHED，SYN,ACK 的重传定时器停止；然后再接收同一报文段中的数据。这次丢失没有造成任何代价，连一次重传都不需要。",
            "如果客户端没有数据可发，则由服务器重传 SYN,ACK 来修复：参见 `lost-ack-idle`。",
        ])
    }

    public static let lostACKIdle = Scenario(
        "lost-ack-idle",
        "the handshake's final ACK is lost and the client sends nothing; the server's retransmitted SYN-ACK brings the ACK again",
        "三次握手的最后一个 ACK 丢失且客户端不发送数据；服务器重传的 SYN-ACK 换回了那个 ACK"
    ) { o, app in
        // The client's second segment is the handshake's ACK (its request comes after it).
        app.faults.drop(.segment(2, from: "client", to: "server"), reason: "lost ACK")
        app.start()
        // Well after the server's SYN,ACK retransmission (at 1 s plus a link delay) and its answer.
        let close = Instant.zero + max(.seconds(2), o.delay * 3 + .milliseconds(1500))
        app.at(close) { $0.shutdown("client") }
        return Explanation(en: [
            "The third segment of the handshake, the client's ACK, is lost, and the client has nothing to send: nothing repairs the loss at once. The client is ESTABLISHED, the server in SYN-RECEIVED.",
            "The server's retransmission timer (initial RTO 1 s, RFC 6298 §2.1) sends the SYN,ACK again. For the client it is an old duplicate: its sequence number lies before RCV.NXT, and the first check of RFC 9293 §3.10.7.4 answers an unacceptable segment with <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, which is exactly the lost ACK. (Had it passed that check, RFC 5961 §4.2 would have answered the SYN in a synchronized state with the same segment, a challenge ACK.)",
            "That ACK moves the server to ESTABLISHED 1 s late; only then can its application accept the connection. A protocol where the server speaks first (SMTP, SSH) would have waited that second.",
            "At \(describe(close - .zero)) the client closes; the four-way close follows.",
        ], zh: [
            "三次握手的第三个报文段，即客户端的 ACK，丢失了，而客户端没有数据要发送：这次丢失不能立即得到修复。客户端处于 ESTABLISHED，服务器处于 SYN-RECEIVED。",
            "服务器的重传定时器（初始 RTO 为 1 秒，RFC 6298 §2.1）超时后重发 SYN,ACK。对客户端来说这是一个旧的重复报文段：它的序列号小于 RCV.NXT。RFC 9293 §3.10.7.4 的第一项检查对不可接受的报文段回复 <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>，这正是丢失的那个 ACK。（即使它通过了这项检查，RFC 5961 §4.2 对同步状态下收到的 SYN 也会回复同样的报文段，即挑战 ACK。）",
            "这个 ACK 使服务器晚 1 秒进入 ESTABLISHED；直到此时服务器的应用程序才能 accept 这个连接。如果是服务器先发言的协议（SMTP、SSH），就要多等这一秒。",
            "\(describe(close - .zero)) 时客户端关闭连接，随后是四次挥手。",
        ])
    }

    public static let staleSYN = Scenario(
        "stale-syn",
        "an old duplicate SYN reaches the server: the client's RST removes the half-open connection (why three segments)",
        "一个旧的重复 SYN 到达服务器：客户端的 RST 清除了半连接（为什么需要三次握手）"
    ) { o, app in
        let net = app.net
        var random = SeededRandom(seed: o.seed ^ 0x5EED_0F_0D_5_1)
        let port = UInt16(49152 + random.next() % 16384)
        let oldISN = SequenceNumber(UInt32(truncatingIfNeeded: random.next()))
        let client = SocketAddress(net.address(of: "client"), port)
        let server = SocketAddress(net.address(of: "server"), serverPort)
        net.label("client", client.description)
        net.label("server", server.description)
        func injectOldSYN(_ seq: SequenceNumber, _ text: String) {
            var h = TCPHeader(sourcePort: port, destinationPort: serverPort, sequenceNumber: seq,
                              acknowledgmentNumber: SequenceNumber(0), flags: [.syn], window: 65535)
            h.options.mss = 1460
            net.inject(from: "client", h, to: server.address, note: text)
        }
        app.listen()
        // Part 1: the client has no connection at all.
        app.at(.zero) { _ in injectOldSYN(oldISN, "an old duplicate SYN of a connection long gone") }
        // Part 2 once part 1 is over (three link delays).
        let second = Instant.zero + max(.seconds(1), o.delay * 3 + .milliseconds(500))
        // Part 2 (RFC 9293 Figure 8): the client connects from the same port; an old SYN from that
        // port arrives before the client's own SYN, which the network holds back. The real SYN is
        // the first one from the client at or after `second` (the old one follows it).
        app.faults.delay(PacketMatch("the SYN of connect()") { $0.from == "client" && $0.segment.flags == [.syn] && $0.sentAt >= second },
                         by: o.delay * 3 + .milliseconds(20))
        app.at(second) { app in
            app.connectNow(localPort: port)
            let iss = app.net.withStack("client") { s, _ in s.info(of: app.connection["client"]!)!.iss }
            // Once the real SYN is on its way, the old one overtakes it.
            app.after(.zero) { _ in injectOldSYN(iss - 10_000, "another old duplicate SYN, from this port's previous connection") }
        }
        app.exchange()
        return Explanation(en: [
            "First an old duplicate SYN, from a connection long gone, reaches the server. The server cannot tell it from a new request: it creates a half-open connection (LISTEN → SYN-RECEIVED) and answers with SYN,ACK.",
            "The client has no connection on that port. RFC 9293 §3.10.7.1: a segment to a closed port is answered with RST, here <SEQ=SEG.ACK><CTL=RST>, which is exactly the sequence number the server expects. The server accepts the RST and deletes the half-open connection; its listener goes on listening (§3.5.3: back to LISTEN).",
            "This is why the handshake takes three segments (RFC 9293 §3.5: \"to prevent old duplicate connection initiations from causing confusion\"): the server commits only when the client confirms the SYN,ACK with an ACK of the server's own ISN. With a two-way handshake the SYN,ACK would have opened the connection: the server would have sent data and held resources for a connection nobody wanted.",
            "At \(describe(second - .zero)), RFC 9293 Figure 8: the client really connects, from the same port, and another old SYN from that port arrives first (the network holds the client's SYN back). The server answers it with SYN,ACK ack=old+1; the client, in SYN-SENT, sees an ACK that does not acknowledge its own SYN and answers RST (§3.10.7.3). The server is back to LISTEN before the real SYN arrives, and that one opens the connection normally.",
        ], zh: [
            "首先，一个早已结束的连接留下的旧重复 SYN 到达服务器。服务器无法把它与新的连接请求区分开：它建立了一个半连接（LISTEN → SYN-RECEIVED）并回复 SYN,ACK。",
            "客户端在那个端口上并没有连接。RFC 9293 §3.10.7.1：发往关闭端口的报文段以 RST 回应，这里是 <SEQ=SEG.ACK><CTL=RST>，其序列号正是服务器所期望的。服务器接受这个 RST，删除半连接；它的监听套接字继续监听（§3.5.3：回到 LISTEN）。",
            "这就是握手需要三个报文段的原因（RFC 9293 §3.5：防止旧的重复连接请求造成混乱）：服务器只有在客户端用 ACK 确认了服务器自己的 ISN 之后才算真正建立连接。如果只有两次握手，SYN,ACK 发出后连接就建立了：服务器会为一个谁也不想要的连接发送数据、占用资源。",
            "\(describe(second - .zero)) 时是 RFC 9293 图 8 的情形：客户端真的从同一个端口发起连接，而该端口上一个连接留下的另一个旧 SYN 先到达（网络把客户端的 SYN 延迟了）。服务器回复 SYN,ACK ack=旧序列号+1；处于 SYN-SENT 的客户端发现这个 ACK 并不是对自己 SYN 的确认，于是回复 RST（§3.10.7.3）。真正的 SYN 到达之前服务器已回到 LISTEN，随后这个 SYN 正常地建立了连接。",
        ])
    }

    public static let lateDuplicateSYN = Scenario(
        "late-duplicate-syn",
        "the network duplicates the client's SYN and delivers the copy after the connection has closed: the server's SYN-ACK meets an RST",
        "网络复制了客户端的 SYN，并在连接关闭之后才送达副本：服务器的 SYN-ACK 换来一个 RST"
    ) { o, app in
        // The scripted mode: "duplicate the SYN and deliver the copy after the connection closed".
        app.faults.duplicate(.syn(from: "client"), deliverCopy: .afterClose)
        app.start()
        app.exchange()
        let msl = describe(o.msl)
        return Explanation(en: [
            "The network duplicates the client's SYN (a retransmitting link, a routing loop) and holds the copy back. The original opens the connection; the request, the answer and the four-way close follow as in `classic`, and the client waits out TIME-WAIT, 2×MSL = 2×\(msl).",
            "Only when both sides have forgotten the connection does the copy arrive. RFC 9293 §3.4.1 assumes that no segment lives longer than MSL, and TIME-WAIT is built on that; this copy breaks the assumption on purpose, to show what the handshake does when it is broken anyway.",
            "For the server, still listening, the copy is a new connection request like any other: LISTEN → SYN-RECEIVED, and it answers SYN,ACK with a new ISN (§3.10.7.2). Nothing reaches its application: accept() returns a connection only once it is ESTABLISHED.",
            "The client has no connection on that port, so the SYN,ACK is answered with <SEQ=SEG.ACK><CTL=RST> (§3.10.7.1). The RST's sequence number is exactly what the server expects; the server drops the half-open connection and goes back to LISTEN (§3.10.7.4). The old duplicate cost two small segments and opened nothing: the third segment of the handshake, which only the real client can send, never came (§3.5).",
        ], zh: [
            "网络复制了客户端的 SYN（例如会重传的链路或路由环路），并把副本扣留了下来。原来的 SYN 建立了连接；随后的请求、应答和四次挥手与 `classic` 相同，客户端在 TIME-WAIT 中等待 2×MSL = 2×\(msl)。",
            "直到双方都已忘记这个连接，副本才到达。RFC 9293 §3.4.1 假定报文段在网络中的存活时间不超过 MSL，TIME-WAIT 正是建立在这个假定之上；这个副本故意打破了这一假定，用来展示假定被打破时三次握手会怎样处理。",
            "对仍在监听的服务器来说，这个副本和任何新的连接请求一样：LISTEN → SYN-RECEIVED，并以新的 ISN 回复 SYN,ACK（§3.10.7.2）。它的应用程序对此一无所知：只有进入 ESTABLISHED 的连接才会由 accept() 返回。",
            "客户端在那个端口上没有连接，因此用 <SEQ=SEG.ACK><CTL=RST> 回应这个 SYN,ACK（§3.10.7.1）。RST 的序列号正是服务器所期望的；服务器丢弃半连接，回到 LISTEN（§3.10.7.4）。这个旧的重复报文段只换来两个小报文段，没有打开任何连接：握手的第三个报文段只有真正的客户端才能发出，而它始终没有出现（§3.5）。",
        ])
    }

    public static let simultaneousOpen = Scenario(
        "simultaneous-open",
        "both hosts connect to each other at the same time: SYN-SENT → SYN-RECEIVED → ESTABLISHED on both sides",
        "双方同时向对方发起连接：两边都经历 SYN-SENT → SYN-RECEIVED → ESTABLISHED"
    ) { _, app in
        let clientPort: UInt16 = 5001, serverPort: UInt16 = 5002
        app.at(.zero) { app in
            app.connectNow("client", to: "server", port: serverPort, localPort: clientPort)
            app.connectNow("server", to: "client", port: clientPort, localPort: serverPort)
        }
        app.exchange()
        return Explanation(en: [
            "Both hosts call connect() at the same moment, each to the other's fixed port; neither listens. Each sends a SYN and enters SYN-SENT.",
            "Each receives the other's SYN while in SYN-SENT. Its own SYN is not yet acknowledged, so RFC 9293 §3.10.7.3 moves it to SYN-RECEIVED and it sends <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>: its SYN again, now acknowledging the peer's.",
            "Each SYN,ACK then reaches a host in SYN-RECEIVED and acknowledges its SYN: both go to ESTABLISHED (RFC 9293 §3.5, Figure 7). The SYN in that segment is a duplicate, already acknowledged; only its ACK is new, and that part is taken, as Linux and the BSDs do.",
            "Four segments instead of three, and no listener: there is no client and no server here, both sides open actively. The request and the answer then flow as usual.",
        ], zh: [
            "两台主机在同一时刻调用 connect()，各自连接对方的固定端口，双方都没有监听。各自发送 SYN，进入 SYN-SENT。",
            "双方都在 SYN-SENT 状态下收到了对方的 SYN。由于自己的 SYN 尚未被确认，按照 RFC 9293 §3.10.7.3 进入 SYN-RECEIVED，并发送 <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>：再次发送自己的 SYN，同时确认对方的 SYN。",
            "随后各自的 SYN,ACK 到达处于 SYN-RECEIVED 的对方，确认了对方的 SYN：双方都进入 ESTABLISHED（RFC 9293 §3.5，图 7）。这个报文段中的 SYN 是重复的，早已确认过；只有其中的 ACK 是新的，接收方只处理这一部分，Linux 和 BSD 系统都是这样做的。",
            "四个报文段而不是三个，而且没有监听方：这里没有客户端和服务器之分，双方都是主动打开。之后请求和应答照常进行。",
        ])
    }
}
