import TCPCore
import TCPTrace
import TCPWire

/// A SYN flood (RFC 4987 §2): an attacker sends SYNs from forged source addresses, which will
/// never answer, to a listener with a small backlog; a legitimate client connects in the middle
/// of it. With SYN cookies (the default) it gets in at once; without, it waits until the
/// spoofed half-open connections time out.
///
/// The flood is kept off the picture (`SimulatedNetwork.injectSpoofed`): its packets are on the
/// wire (and in `--pcap`), and notes made from the server's live counters sum it up.
extension Scenario {
    public static let synFlood = flood(cookies: true)
    public static let synFloodNoCookies = flood(cookies: false)

    /// The server's backlog: its queue of half-open connections holds this many.
    static let floodBacklog = 8
    static let floodSYNs = 200
    static let floodInterval: Duration = .milliseconds(10)
    static let floodClientAt = Instant.seconds(0.5)

    /// The k-th forged source address (k from 0): 203.0.113.1… (TEST-NET-3, RFC 5737) or
    /// 2001:db8:bad::1… (the documentation prefix, RFC 3849).
    static func floodSource(_ k: Int, ipv6: Bool) -> IPAddress {
        ipv6 ? .v6(IPv6Address(high: 0x2001_0DB8_0BAD_0000, low: UInt64(k + 1))) : .v4(IPv4Address(203, 0, 113, UInt8(k + 1)))
    }

    static func flood(cookies: Bool) -> Scenario {
        Scenario(
            cookies ? "syn-flood" : "syn-flood-no-cookies",
            cookies
                ? "200 spoofed SYNs fill a backlog of 8; SYN cookies answer the rest statelessly and a client still connects at once"
                : "the same flood with SYN cookies off: the client's SYNs are dropped until the spoofed half-open connections time out at 63 s",
            cookies
                ? "200 个伪造源地址的 SYN 占满容量为 8 的半连接队列；SYN cookie 无状态地应答其余的 SYN，客户端仍能立即建立连接"
                : "同样的洪泛，但关闭 SYN cookie：客户端的 SYN 一直被丢弃，直到伪造的半连接在 63 秒时超时",
            configure: { host, config in
                if host == "server" { config.synCookies = cookies ? .whenQueueFull : .never }
            }
        ) { o, app in
            let net = app.net
            let first = floodSource(0, ipv6: o.ipv6), last = floodSource(floodSYNs - 1, ipv6: o.ipv6)
            let floodEnd = Instant.zero + floodInterval * (floodSYNs - 1)
            _ = try! net.listen("server", port: serverPort, backlog: floodBacklog)
            net.note("server", "listen(backlog: \(floodBacklog)), SYN cookies \(cookies ? "on when the queue is full" : "off")")
            net.note("server", "attacker: \(floodSYNs) SYNs from spoofed \(first)–\(last), one every \(describe(floodInterval)) until \(describe(floodEnd - .zero)) (not drawn; in --pcap)")
            for k in 0..<floodSYNs {
                app.at(.zero + floodInterval * k) { app in
                    let syn = TCPHeader(sourcePort: UInt16(1024 + k), destinationPort: serverPort,
                                        sequenceNumber: SequenceNumber(UInt32(truncatingIfNeeded: (k + 1) &* 0x9E37_79B9)),
                                        acknowledgmentNumber: SequenceNumber(0), flags: [.syn], window: 64240,
                                        options: TCPOptions(mss: 1460))
                    app.net.injectSpoofed(syn, from: floodSource(k, ipv6: o.ipv6), to: "server")
                }
            }
            // When the backlog's worth of spoofed SYNs has arrived.
            app.at(.zero + floodInterval * (floodBacklog - 1) + o.delay) { app in
                let n = app.net.offStageConnectionCount("server")
                app.net.note("server", "backlog full: \(n) half-open connections for spoofed addresses (SYN-ACKs to nowhere, retried for 63 s)")
            }
            app.at(floodEnd + o.delay) { app in
                let counts = app.net.offStageCounts
                let stats = app.net.host("server").stack.statistics
                let held = app.net.offStageConnectionCount("server")
                let rest = cookies
                    ? "\(counts.packetsIn - held) answered with cookies and forgotten (cookies sent: \(stats.synCookiesSent), valid: \(stats.synCookiesValid))"
                    : "\(counts.drops[.backlogFull] ?? 0) dropped (backlog-full)"
                app.net.note("server", "flood over: \(counts.packetsIn) spoofed SYNs: \(held) half-open, \(rest)")
            }
            // The spoofed half-open connections give up 63 s after they were made: 5 SYN-ACK
            // retransmissions (1, 2, 4, 8, 16 s apart) and the last 32 s timeout.
            app.at(.seconds(63.1) + o.delay) { app in
                let counts = app.net.offStageCounts
                app.net.note("server", "spoofed half-open connections gave up (63 s): \(app.net.offStageConnectionCount("server")) left; \(counts.packetsOut) SYN-ACKs went to spoofed addresses")
            }
            app.connect(at: floodClientAt)
            app.exchange()
            return cookies ? cookieExplanation() : noCookieExplanation()
        }
    }

    static func cookieExplanation() -> Explanation {
        Explanation(en: [
            "An attacker sends \(floodSYNs) SYNs in 2 s to the server's port 80, each from a different forged source address where nobody listens. The server's backlog is \(floodBacklog): its queue of half-open connections (SYN-RECEIVED, RFC 9293 §3.10.7.2) holds \(floodBacklog). The first \(floodBacklog) spoofed SYNs fill it. Their SYN-ACKs go to addresses that do not exist, so neither an ACK nor a RST ever comes back, and each half-open connection stays 63 s while its SYN-ACK is retransmitted 5 times: the SYN flood of RFC 4987 §2, a few packets a second occupying a listener.",
            "With its queue full the server answers every further SYN with a SYN cookie (RFC 4987 §3.6; Linux's default, tcp_syncookies=1): the SYN-ACK's sequence number is not random but a keyed hash of the four-tuple and the client's ISN, with a coarse time counter (64 s periods) and the client's MSS (rounded down to a table entry) in its top bits. Then it forgets the SYN: the spoofed SYNs answered this way cost it neither memory nor timers.",
            "The client's SYN at 0.5 s meets the full queue and gets a cookie too. Its ACK, which here already carries the request, returns the cookie as SEG.ACK − 1; the server recomputes the hash, finds it right and recent, and makes the connection directly: LISTEN → ESTABLISHED, without SYN-RECEIVED, with the MSS from the cookie. The request on the ACK is taken at once (RFC 9293 §3.10.7.4: \"continue processing\"). With timestamps on both sides the window scale and SACK-permitted travel in the low bits of the SYN-ACK's TSval and come back in the ACK's TSecr, as Linux does; without timestamps the connection would run without either.",
            "Cookies have a price (RFC 4987 §3.6): a SYN-ACK the server does not remember cannot be retransmitted (the client's retransmitted SYN repairs a lost one), options other than the MSS need timestamps to survive, and an ACK with a forged or expired cookie is answered with RST like any ACK in LISTEN (RFC 9293 §3.10.7.2). That is why Linux uses them only when the queue is full. Compare: tcpkit scenario syn-flood-no-cookies.",
        ], zh: [
            "攻击者在 2 秒内向服务器的 80 端口发送 \(floodSYNs) 个 SYN，每个都来自不同的伪造源地址，而那些地址上没有任何主机。服务器的 backlog 为 \(floodBacklog)：它的半连接队列（SYN-RECEIVED，RFC 9293 §3.10.7.2）只能容纳 \(floodBacklog) 个。前 \(floodBacklog) 个伪造的 SYN 就把它占满了。它们的 SYN-ACK 发往并不存在的地址，因此既不会有 ACK 也不会有 RST 返回，每个半连接都要在 SYN-ACK 重传 5 次的 63 秒里一直占着位置：这就是 RFC 4987 §2 所说的 SYN 洪泛，每秒几个分组就能占住一个监听端口。",
            "队列满了之后，服务器对之后的每个 SYN 都用 SYN cookie 应答（RFC 4987 §3.6；这是 Linux 的默认设置 tcp_syncookies=1）：SYN-ACK 的序列号不是随机数，而是对四元组和客户端 ISN 的带密钥哈希，高位中还编码了一个粗粒度的时间计数（以 64 秒为周期）以及客户端的 MSS（向下取整到一张表中的值）。随后服务器就忘掉这个 SYN：这样应答的伪造 SYN 既不占内存，也不占定时器。",
            "客户端在 0.5 秒发出的 SYN 也遇到已满的队列，同样得到一个 cookie。它的 ACK（这里已经携带了请求）以 SEG.ACK − 1 的形式送回这个 cookie；服务器重新计算哈希，确认它正确且未过期，于是直接建立连接：LISTEN → ESTABLISHED，不经过 SYN-RECEIVED，MSS 取自 cookie。ACK 上携带的请求立即被接收（RFC 9293 §3.10.7.4：“继续处理”）。如果双方都启用了时间戳，窗口扩大因子和 SACK-permitted 就放在 SYN-ACK 的 TSval 低位中，再由 ACK 的 TSecr 带回来，与 Linux 的做法相同；没有时间戳时，连接就不使用这两个选项。",
            "cookie 也有代价（RFC 4987 §3.6）：服务器不记得的 SYN-ACK 无法重传（丢失时由客户端重传 SYN 来弥补），MSS 以外的选项需要借助时间戳才能保留，而带有伪造或过期 cookie 的 ACK 会像 LISTEN 状态下的任何 ACK 一样得到 RST（RFC 9293 §3.10.7.2）。因此 Linux 只在队列满时才使用它。对比：tcpkit scenario syn-flood-no-cookies。",
        ])
    }

    static func noCookieExplanation() -> Explanation {
        Explanation(en: [
            "The same flood as in syn-flood: \(floodSYNs) SYNs from forged addresses in 2 s, against a backlog of \(floodBacklog). This server has SYN cookies off (Linux's tcp_syncookies=0), so once \(floodBacklog) spoofed half-open connections fill its queue (RFC 9293 §3.10.7.2) it can only drop further SYNs (\"backlog-full\"), the attacker's and everyone else's alike.",
            "The client's SYN at 0.5 s is dropped without an answer. It retransmits with the usual backoff (RFC 6298 §5.5) at 1.5, 3.5, 7.5, 15.5 and 31.5 s, and every copy is dropped too: the spoofed half-open connections stay until their SYN-ACK retransmissions run out, 5 of them over 63 s (Linux's tcp_synack_retries), because no RST will ever come from an address where nobody is.",
            "At 63 s they give up and the queue empties; the client's SYN at 63.5 s gets in and the connection proceeds as usual. A 2-second flood of \(floodSYNs) packets cost the client more than a minute, and an attacker sending just \(floodBacklog) new SYNs a minute would keep it out for good: the denial of service RFC 4987 §2 describes, and the reason SYN cookies (§3.6) are on by default (tcpkit scenario syn-flood).",
        ], zh: [
            "与 syn-flood 场景相同的洪泛：2 秒内来自伪造地址的 \(floodSYNs) 个 SYN，目标的 backlog 为 \(floodBacklog)。这台服务器关闭了 SYN cookie（Linux 的 tcp_syncookies=0），因此一旦 \(floodBacklog) 个伪造的半连接占满它的队列（RFC 9293 §3.10.7.2），它就只能丢弃之后的 SYN（图中的“backlog-full”），无论来自攻击者还是其他任何人。",
            "客户端在 0.5 秒发出的 SYN 被丢弃，没有任何应答。它按照通常的退避规则（RFC 6298 §5.5）在 1.5、3.5、7.5、15.5 和 31.5 秒重传，每一次同样被丢弃：伪造的半连接要等到 SYN-ACK 的重传次数用完才会消失，即 63 秒内重传 5 次（Linux 的 tcp_synack_retries），因为空无一人的地址永远不会回复 RST。",
            "到 63 秒时它们放弃了，队列随之清空；客户端在 63.5 秒发出的 SYN 终于被接受，连接照常进行。一次 2 秒、\(floodSYNs) 个分组的洪泛让客户端等了一分多钟，而攻击者只要每分钟发送 \(floodBacklog) 个新的 SYN，就能让它永远连不上：这正是 RFC 4987 §2 所描述的拒绝服务，也是 SYN cookie（§3.6）默认开启的原因（tcpkit scenario syn-flood）。",
        ])
    }
}
