import TCPCore
import TCPTrace
import TCPWire

/// Closing a connection: three segments instead of four, half-close, both at once, a lost last
/// ACK, and what TIME-WAIT is for.
extension Scenario {
    public static let threeWayClose = Scenario(
        "three-way-close",
        "the server closes as soon as it sees the client's FIN: its FIN rides on the ACK, three segments instead of four",
        "服务器一收到客户端的 FIN 就关闭：FIN 与 ACK 合并在一个报文段中，三次而不是四次挥手"
    ) { _, app in
        app.start()
        app.exchange()
        app.onPeerClosed["server"] = { $0.close("server", "end of stream; close() at once: FIN") }
        return Explanation(en: [
            "The client closes: FIN,ACK seq=u. The server's application learns of the end of the stream in the same instant and closes at once, before its stack has sent anything.",
            "So the server's one segment both acknowledges the client's FIN (ack=u+1) and carries its own FIN: FIN,ACK. The close takes three segments instead of four; the server goes from CLOSE-WAIT to LAST-ACK without a segment in between.",
            "The four-way close of the notes is not a rule of TCP: the passive side's ACK and FIN are separate only when its application still has data to send or closes later (see `classic` and `half-close`). Any segment may carry an ACK, and a FIN goes out with whatever segment is next (RFC 9293 §3.6, §3.10.4).",
            "The client, in FIN-WAIT-1, gets the ACK of its FIN and the server's FIN in one segment. §3.10.7.4 takes the ACK first (fifth step: FIN-WAIT-1 → FIN-WAIT-2) and the FIN after it (eighth step: FIN-WAIT-2 → TIME-WAIT), so FIN-WAIT-2 lasts no time at all.",
        ], zh: [
            "客户端关闭：FIN,ACK seq=u。服务器的应用程序在同一时刻得知数据流结束，并立即关闭，此时服务器的协议栈还没有发出任何报文段。",
            "因此服务器的一个报文段既确认了客户端的 FIN（ack=u+1），又携带了自己的 FIN：FIN,ACK。挥手只需三个报文段而不是四个；服务器从 CLOSE-WAIT 直接进入 LAST-ACK，中间没有单独的报文段。",
            "资料中的四次挥手并不是 TCP 的规定：被动关闭方的 ACK 和 FIN 之所以分开，只是因为它的应用程序还有数据要发送，或者稍后才关闭（参见 `classic` 和 `half-close`）。任何报文段都可以携带 ACK，FIN 会随下一个发出的报文段一起发送（RFC 9293 §3.6、§3.10.4）。",
            "处于 FIN-WAIT-1 的客户端在同一个报文段中收到对自己 FIN 的确认和服务器的 FIN。§3.10.7.4 先处理 ACK（第五步：FIN-WAIT-1 → FIN-WAIT-2），再处理 FIN（第八步：FIN-WAIT-2 → TIME-WAIT），所以 FIN-WAIT-2 转瞬即逝。",
        ])
    }

    public static let halfClose = Scenario(
        "half-close",
        "the client shuts down its sending side; the server keeps sending from CLOSE-WAIT, the client keeps reading in FIN-WAIT-2",
        "客户端关闭发送方向；服务器在 CLOSE-WAIT 中继续发送，客户端在 FIN-WAIT-2 中继续接收"
    ) { _, app in
        let parts = (1...3).map { Array("part \($0) of 3\n".utf8) }
        app.start()
        app.exchange(closer: .neither)
        app.onEstablished["client"] = { app in
            app.send("client", Scenario.request, "the request")
            app.after(.zero) { $0.shutdown("client", "shutdown(SHUT_WR): nothing more to send, FIN; still reading") }
        }
        app.onRead["server"] = nil
        app.onPeerClosed["server"] = { app in
            for (k, part) in parts.enumerated() {
                app.after(.milliseconds(100 * (k + 1))) { $0.send("server", part, "part \(k + 1) of the answer, from CLOSE-WAIT") }
            }
            app.after(.milliseconds(100 * (parts.count + 1))) { $0.close("server", "close(): FIN") }
        }
        return Explanation(en: [
            "The client sends its request and at once shuts down its sending side (shutdown(SHUT_WR)): its FIN says \"no more data from me\", nothing more (RFC 9293 §3.10.4: CLOSE means \"I have no more to send\").",
            "The server ACKs the FIN at once (ESTABLISHED → CLOSE-WAIT) and the client, on that ACK, goes to FIN-WAIT-2. The connection is half-closed (§3.6.1): one direction is finished, the other is still open.",
            "From CLOSE-WAIT the server sends its answer in three parts, 100 ms apart. The client, in FIN-WAIT-2, receives and acknowledges each one: after sending its FIN a side can still receive, and the passive side can still send.",
            "Only when the server's application closes does its FIN go out (LAST-ACK); the client ACKs it and enters TIME-WAIT. This is why the close takes four segments in general: the passive side's ACK comes at once, its FIN only when it has nothing more to send.",
        ], zh: [
            "客户端发送请求后立即关闭自己的发送方向（shutdown(SHUT_WR)）：它的 FIN 只表示“我不会再发送数据了”，仅此而已（RFC 9293 §3.10.4：CLOSE 的含义是“我没有更多要发送的了”）。",
            "服务器立即确认这个 FIN（ESTABLISHED → CLOSE-WAIT），客户端收到这个 ACK 后进入 FIN-WAIT-2。此时连接处于半关闭状态（§3.6.1）：一个方向已经结束，另一个方向仍然开放。",
            "服务器在 CLOSE-WAIT 中分三次发送应答，每次间隔 100 毫秒。处于 FIN-WAIT-2 的客户端逐一接收并确认：发送 FIN 之后仍然可以接收数据，被动关闭方也仍然可以发送数据。",
            "直到服务器的应用程序关闭连接，它的 FIN 才发出（LAST-ACK）；客户端确认后进入 TIME-WAIT。这就是挥手一般需要四个报文段的原因：被动关闭方的 ACK 立即发出，而它的 FIN 要等到没有数据可发时才发出。",
        ])
    }

    public static let simultaneousClose = Scenario(
        "simultaneous-close",
        "both sides call shutdown at the same instant: FIN-WAIT-1 → CLOSING → TIME-WAIT on both sides",
        "双方在同一时刻调用 shutdown：两边都经历 FIN-WAIT-1 → CLOSING → TIME-WAIT"
    ) { o, app in
        app.start()
        app.exchange(thenAfter: .seconds(1)) { app in
            app.shutdown("client")
            app.shutdown("server")
        }
        let msl = describe(o.msl)
        return Explanation(en: [
            "One second after the exchange both applications call shutdown() at the same instant: both send a FIN and enter FIN-WAIT-1 (RFC 9293 §3.6, case 3, Figure 13).",
            "The FINs cross. Each side receives the peer's FIN while its own is not yet acknowledged (the peer's FIN acknowledges only the data), so it goes from FIN-WAIT-1 to CLOSING, not to TIME-WAIT, and ACKs the FIN (§3.10.7.4, eighth step).",
            "Each ACK then acknowledges a FIN: CLOSING → TIME-WAIT on both sides. Four segments as usual, but two FINs first and two ACKs after, and no FIN-WAIT-2.",
            "Both sides closed actively, so both wait 2×MSL = 2×\(msl) in TIME-WAIT.",
        ], zh: [
            "请求和应答完成一秒之后，双方的应用程序同时调用 shutdown()：双方都发出 FIN，进入 FIN-WAIT-1（RFC 9293 §3.6 的第三种情况，图 13）。",
            "两个 FIN 在途中交错而过。每一方收到对方的 FIN 时，自己的 FIN 尚未被确认（对方的 FIN 只确认了数据），因此从 FIN-WAIT-1 进入 CLOSING 而不是 TIME-WAIT，并确认对方的 FIN（§3.10.7.4 第八步）。",
            "随后每个 ACK 确认了一个 FIN：双方都从 CLOSING 进入 TIME-WAIT。同样是四个报文段，但先是两个 FIN，后是两个 ACK，而且没有 FIN-WAIT-2。",
            "双方都是主动关闭，所以双方都要在 TIME-WAIT 中等待 2×MSL = 2×\(msl)。",
        ])
    }

    public static let lostFinalACK = Scenario(
        "lost-final-ack",
        "the client's last ACK is lost; the server retransmits its FIN and the client, still in TIME-WAIT, ACKs again",
        "客户端的最后一个 ACK 丢失；服务器重传 FIN，仍处于 TIME-WAIT 的客户端再次确认"
    ) { o, app in
        // The client's only pure ACK is its last one, the ACK of the server's FIN: the request
        // rides on the handshake's ACK and the FIN on the ACK of the answer.
        app.faults.drop(.pureACK(from: "client"), reason: "lost last ACK")
        app.start()
        app.exchange()
        let msl = describe(o.msl)
        return Explanation(en: [
            "The connection closes as usual until the client's last ACK, the one that acknowledges the server's FIN, is lost. The client has already entered TIME-WAIT; the server stays in LAST-ACK, its FIN unacknowledged.",
            "The server's retransmission timer (RTO 1 s, RFC 6298) expires and it sends the FIN again, same sequence number.",
            "The client is still in TIME-WAIT, so it still knows the connection. The FIN is a duplicate (it lies before RCV.NXT): the first check of RFC 9293 §3.10.7.4 answers it with an ACK, the same as the lost one (hence \"dropped: unacceptable-sequence\" in the picture), and, as the eighth step prescribes for a FIN in TIME-WAIT, the client restarts the 2×MSL timeout. The server gets the ACK and closes cleanly.",
            "This is the first reason for TIME-WAIT: had the client deleted its connection at once, the retransmitted FIN would have found no connection and been answered with RST (§3.10.7.1), and the server would have ended with an error instead of a clean close. The second reason: for 2×MSL = 2×\(msl) no new connection on the same four addresses and ports can receive old duplicates of this one (§3.4.2).",
        ], zh: [
            "连接照常关闭，直到客户端的最后一个 ACK（确认服务器 FIN 的那个）丢失。客户端已经进入 TIME-WAIT；服务器仍停留在 LAST-ACK，它的 FIN 没有得到确认。",
            "服务器的重传定时器（RTO 为 1 秒，RFC 6298）超时，以相同的序列号重传 FIN。",
            "客户端仍处于 TIME-WAIT，因此还记得这个连接。这个 FIN 是重复的（位于 RCV.NXT 之前）：RFC 9293 §3.10.7.4 的第一项检查用一个 ACK 回应它，与丢失的那个 ACK 相同（所以图中显示“dropped: unacceptable-sequence”）；同时按照第八步对 TIME-WAIT 中收到 FIN 的规定，客户端重新开始 2×MSL 计时。服务器收到 ACK，正常关闭。",
            "这就是 TIME-WAIT 存在的第一个原因：如果客户端立即删除连接，重传的 FIN 就会找不到连接而得到 RST 回应（§3.10.7.1），服务器将以出错而不是正常关闭告终。第二个原因：在 2×MSL = 2×\(msl) 内，使用同样四元组（地址和端口）的新连接不会收到这个连接的旧重复报文段（§3.4.2）。",
        ])
    }

    public static let timeWaitReuse = Scenario(
        "time-wait-reuse",
        "the server closes first and holds TIME-WAIT; a new SYN on the same four-tuple with a higher sequence number reopens it",
        "服务器先关闭并处于 TIME-WAIT；同一四元组上序列号更大的新 SYN 使其提前结束并建立新连接"
    ) { o, app in
        app.start()
        app.exchange(closer: .server)
        var again = true
        app.onClosed["client"] = { app in
            guard again else { return }
            again = false
            app.after(.seconds(1)) { app in app.connectNow(localPort: app.local["client"]!.port) }
        }
        let msl = describe(o.msl)
        return Explanation(en: [
            "An HTTP/1.0-style server closes as soon as it has answered: its FIN rides on the answer, so the server is the active closer and ends in TIME-WAIT for 2×MSL = 2×\(msl); the client, the passive closer, goes through CLOSE-WAIT and LAST-ACK and is done.",
            "One second after its connection has closed the client connects again from the same port: the same four-tuple, whose previous incarnation the server still holds in TIME-WAIT.",
            "The new SYN's sequence number is above everything the old connection used (RFC 6528 ISNs grow with a 4 µs clock, about 250 000 a second), so it cannot be an old duplicate. RFC 1122 §4.2.2.13 allows exactly this case: the server ends TIME-WAIT early (TIME-WAIT → CLOSED) and the SYN opens a new connection (LISTEN → SYN-RECEIVED). Its own ISN is set above the old connection's too, as Linux does; RFC 6191 does the same check with timestamps.",
            "Without this rule the SYN would only be answered with an ACK for the old connection; the client would answer that with RST, which TIME-WAIT ignores (RFC 1337), and keep retransmitting its SYN until TIME-WAIT ran out: up to a minute for a returning client of a busy server that closes first.",
        ], zh: [
            "一个 HTTP/1.0 风格的服务器在应答之后立即关闭：它的 FIN 随应答数据一起发出，因此服务器是主动关闭方，最后要在 TIME-WAIT 中等待 2×MSL = 2×\(msl)；客户端是被动关闭方，经过 CLOSE-WAIT 和 LAST-ACK 后就结束了。",
            "连接关闭一秒之后，客户端从同一个端口再次发起连接：四元组完全相同，而服务器仍在 TIME-WAIT 中保留着这个四元组上一次的连接。",
            "新 SYN 的序列号大于旧连接用过的所有序列号（RFC 6528 的 ISN 随一个 4 微秒的时钟增长，每秒约 250 000），所以它不可能是旧的重复报文段。RFC 1122 §4.2.2.13 正是允许这种情况：服务器提前结束 TIME-WAIT（TIME-WAIT → CLOSED），这个 SYN 建立了新连接（LISTEN → SYN-RECEIVED）。与 Linux 一样，服务器自己的 ISN 也取在旧连接之上；RFC 6191 用时间戳做同样的判断。",
            "如果没有这条规则，这个 SYN 只会换来一个针对旧连接的 ACK；客户端会用 RST 回应，而 TIME-WAIT 会忽略这个 RST（RFC 1337），客户端只能不断重传 SYN，直到 TIME-WAIT 结束：对于先关闭连接的繁忙服务器，再次到来的客户端最多要等一分钟。",
        ])
    }
}
