import TCPCore
import TCPTrace
import TCPWire

/// Connections that end badly or stall: an abort, a refused connect, a peer that never answers,
/// and a receiver that does not read.
extension Scenario {
    public static let reset = Scenario(
        "reset",
        "the client aborts an established connection: one RST, the server gets a reset, no TIME-WAIT",
        "客户端中止一个已建立的连接：一个 RST，服务器收到重置，没有 TIME-WAIT"
    ) { _, app in
        app.start()
        app.exchange(thenAfter: .milliseconds(100)) { $0.abort("client") }
        return Explanation(en: [
            "After the exchange the client's application aborts the connection (RFC 9293 §3.10.5, ABORT; a socket closed with SO_LINGER set to 0 does this). Its stack sends a reset <SEQ=SND.NXT><CTL=RST> (here with the ACK bit, as Linux sends it), drops everything still queued and deletes the connection: ESTABLISHED → CLOSED at once.",
            "The RST's sequence number is exactly the server's RCV.NXT, so the server accepts it (§3.10.7.4, second step; RFC 5961 §3 would challenge one that is merely in the window). The server's connection goes to CLOSED and its application's next call fails with \"connection reset by peer\" (ECONNRESET).",
            "No FIN, no ACK of the RST (an RST is never answered), no TIME-WAIT on either side: an abort gives up the guarantees of the orderly close. Data still in flight or unread is lost, and old duplicates of this connection are not waited out.",
        ], zh: [
            "请求和应答完成后，客户端的应用程序中止了连接（RFC 9293 §3.10.5，ABORT；设置 SO_LINGER 为 0 后关闭套接字就是这种效果）。它的协议栈发送一个复位报文段 <SEQ=SND.NXT><CTL=RST>（与 Linux 一样，这里带有 ACK 标志），丢弃所有尚在排队的数据并删除连接：立即从 ESTABLISHED 变为 CLOSED。",
            "这个 RST 的序列号恰好等于服务器的 RCV.NXT，因此服务器接受它（§3.10.7.4 第二步；如果只是落在窗口内，RFC 5961 §3 会回复挑战 ACK）。服务器的连接进入 CLOSED，其应用程序的下一次调用失败，得到“connection reset by peer”（ECONNRESET）。",
            "没有 FIN，也没有对 RST 的确认（RST 从不需要应答），双方都没有 TIME-WAIT：中止放弃了正常关闭所提供的保证。仍在途中或尚未读取的数据会丢失，也不再等待这个连接的旧重复报文段消失。",
        ])
    }

    public static let refused = Scenario(
        "refused",
        "connect to a port nobody listens on: RST,ACK, and connect() fails with \"connection refused\"",
        "连接一个没有监听的端口：收到 RST,ACK，connect() 失败，返回“connection refused”"
    ) { _, app in
        app.connect(at: .zero)
        return Explanation(en: [
            "Nothing listens on the server's port 80: for the server's stack the SYN belongs to no connection (state CLOSED).",
            "RFC 9293 §3.10.7.1: a segment for a closed port is answered with a reset. The SYN has no ACK bit, so the reset is <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>: its acknowledgment number, x+1 (the SYN counts one), proves it answers this very SYN.",
            "The client, in SYN-SENT, checks that the ACK acknowledges its SYN (§3.10.7.3, first step) and only then believes the RST: \"error: connection reset\", CLOSED. Sockets call this ECONNREFUSED, \"connection refused\", and connect() fails at once, one round trip after it began: no retransmission, no waiting.",
            "The server keeps no state at all; its stack answered from the segment alone.",
        ], zh: [
            "服务器的 80 端口上没有任何监听：对服务器的协议栈来说，这个 SYN 不属于任何连接（CLOSED 状态）。",
            "RFC 9293 §3.10.7.1：发往关闭端口的报文段以复位报文段回应。这个 SYN 没有 ACK 标志，因此复位报文段是 <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>：其确认号 x+1（SYN 占一个序列号）证明它回应的正是这个 SYN。",
            "处于 SYN-SENT 的客户端先检查这个 ACK 是否确认了自己的 SYN（§3.10.7.3 第一步），确认无误后才相信这个 RST：报告“连接被重置”，进入 CLOSED。套接字接口称之为 ECONNREFUSED，即“connection refused”，connect() 在发起后一个往返时间就立即失败：没有重传，也没有等待。",
            "服务器没有保留任何状态；它的协议栈仅凭这个报文段本身就作出了回应。",
        ])
    }

    public static let retriesExhausted = Scenario(
        "retries-exhausted",
        "the server is unreachable: SYN at 0, 1, 3, 7, 15, 31, 63 s, and connect() times out at 127 s",
        "服务器不可达：SYN 在 0、1、3、7、15、31、63 秒发出，connect() 在 127 秒超时",
        // Linux caps the RTO at 120 s (TCP_RTO_MAX) and gives up after 6 SYN retries; the engine's
        // defaults are a 60 s cap and 7 retries (RFC 9293 MUST-23: at least 3 minutes).
        configure: { _, config in
            config.rtoMax = .seconds(120)
            config.synRetries = 6
        }
    ) { _, app in
        app.faults.drop(.to("server"), reason: "server unreachable", times: nil)
        app.start()
        return Explanation(en: [
            "Every packet to the server is lost (a dead route, a firewall that drops silently). The client's SYN goes unanswered.",
            "Each time the retransmission timer expires the client sends the SYN again and doubles the RTO (RFC 6298 §5.5): 1, 2, 4, 8, 16, 32 s, so SYNs leave at 0, 1, 3, 7, 15, 31 and 63 s. After 6 retransmissions (Linux's tcp_syn_retries = 6) it waits the last RTO, 64 s, and gives up at 127 s: connect() fails with \"connection timed out\" (ETIMEDOUT). These are Linux's figures: this run caps the RTO at 120 s as Linux does; the engine's defaults (a 60 s cap, the least RFC 6298 §2.5 allows, and 7 retries) send an eighth SYN at 123 s and fail at 183 s.",
            "RFC 1122 §4.2.3.5 (and RFC 9293 §3.8.3) ask that a SYN be retransmitted for at least 3 minutes before giving up; Linux's default, followed here, stops after about 2 minutes (the engine's own default keeps going until 183 s). An application wanting a shorter or longer wait sets its own limit.",
            "When it gives up this engine also sends a best-effort RST, so a server that did receive a SYN does not keep a half-open connection; here it is lost like everything else.",
        ], zh: [
            "所有发往服务器的分组都丢失了（路由中断，或防火墙静默丢弃）。客户端的 SYN 得不到任何回应。",
            "每次重传定时器超时，客户端都重传 SYN 并将 RTO 翻倍（RFC 6298 §5.5）：1、2、4、8、16、32 秒，因此 SYN 在 0、1、3、7、15、31 和 63 秒发出。重传 6 次之后（Linux 的 tcp_syn_retries = 6），再等待最后一个 RTO（64 秒），在 127 秒时放弃：connect() 失败，返回“connection timed out”（ETIMEDOUT）。这些是 Linux 的数值：本次运行与 Linux 一样把 RTO 上限设为 120 秒；本引擎的默认值（60 秒上限，即 RFC 6298 §2.5 允许的最小值，以及 7 次重传）会在 123 秒发出第八个 SYN，并在 183 秒失败。",
            "RFC 1122 §4.2.3.5（以及 RFC 9293 §3.8.3）要求在放弃之前至少重传 SYN 3 分钟；这里遵循的 Linux 默认值大约 2 分钟就停止了（本引擎自己的默认值会坚持到 183 秒）。应用程序如果需要更短或更长的等待时间，可以自己设置上限。",
            "放弃时本引擎还会尽力发送一个 RST，使确实收到过 SYN 的服务器不会保留半连接；在这里它和其他分组一样丢失了。",
        ])
    }

    public static let zeroWindow = Scenario(
        "zero-window",
        "the server does not read: the window falls to 0, the client probes with backoff, a window update reopens the flow",
        "服务器不读取数据：窗口降为 0，客户端以退避间隔发送零窗口探测，窗口更新后数据恢复流动",
        configure: { host, config in if host == "server" { config.receiveBufferBytes = zeroWindowBuffer } }
    ) { _, app in
        let data = (0..<zeroWindowData).map { UInt8(truncatingIfNeeded: $0) }
        app.reading = ["client"]
        app.start()
        app.onEstablished["client"] = { $0.send("client", data, "more than the server's window") }
        app.onRead["server"] = { app, received in
            if received.count == data.count { app.close("server", "all \(data.count) bytes read; close(): FIN") }
        }
        app.at(zeroWindowRead) { app in
            app.net.note("server", "the application starts reading")
            app.reading.insert("server")
            app.read("server")
        }
        return Explanation(en: [
            "The server's receive buffer holds \(zeroWindowBuffer) bytes, so its SYN,ACK offers a window of \(zeroWindowBuffer). The client has \(zeroWindowData) bytes to send and sends as much as the window allows at once, in MSS-sized segments.",
            "The server's application does not read. The data fills the buffer, and the server's ACK says win=0: \"I have it all, send nothing more\" (RFC 9293 §3.8.6).",
            "The client must not send, but must not wait forever either: a lost window update would leave both sides waiting for each other. Its persist timer sends zero-window probes (§3.8.6.1; RFC 1122 §4.2.2.17), first after one RTO, then at doubling intervals (1, 2, 4 s). Each probe reuses an already acknowledged sequence number (SND.UNA−1, no data): the server drops it as a duplicate (\"dropped: unacceptable-sequence\") and, as §3.10.7.4 requires, answers with an ACK that repeats its window, still 0.",
            "At \(describe(zeroWindowRead - .zero)) the server's application reads everything. Reading frees the whole buffer, far more than the receiver's silly-window threshold (min(buffer/2, MSS), §3.8.6.2.2), so the server sends a window update at once. The flow resumes, the server now reads as data arrives, and once all \(zeroWindowData) bytes are in it closes.",
        ], zh: [
            "服务器的接收缓冲区为 \(zeroWindowBuffer) 字节，因此它的 SYN,ACK 通告的窗口为 \(zeroWindowBuffer)。客户端有 \(zeroWindowData) 字节要发送，它按 MSS 大小分段，立即发送窗口允许的全部数据。",
            "服务器的应用程序不读取数据。数据填满了缓冲区，服务器的 ACK 中 win=0：“数据我都收到了，但不要再发了”（RFC 9293 §3.8.6）。",
            "客户端不能发送，但也不能无限等待：如果窗口更新报文丢失，双方就会互相等待下去。它的持续计时器（persist timer）发送零窗口探测报文（§3.8.6.1；RFC 1122 §4.2.2.17），第一次在一个 RTO 之后，之后间隔依次翻倍（1、2、4 秒）。每个探测报文都使用一个已被确认过的序列号（SND.UNA−1，不带数据）：服务器把它当作重复报文段丢弃（图中的“dropped: unacceptable-sequence”），并按照 §3.10.7.4 的要求回复一个 ACK，重复告知自己的窗口，仍然是 0。",
            "在 \(describe(zeroWindowRead - .zero)) 时服务器的应用程序读取了全部数据。读取释放了整个缓冲区，远超过接收方为避免糊涂窗口综合征而设的阈值（min(缓冲区/2, MSS)，§3.8.6.2.2），因此服务器立即发送窗口更新。数据恢复流动，此后服务器在数据到达时即读取，收齐全部 \(zeroWindowData) 字节后关闭连接。",
        ])
    }

    // Two full segments (MSS 1460 less 12 bytes of timestamps), so that sender SWS avoidance
    // (RFC 9293 §3.8.6.2.1) never holds back a partial one in the picture.
    static let zeroWindowBuffer = 2896
    static let zeroWindowData = 10_000
    static let zeroWindowRead = Instant.seconds(8)
}
