import TCPCore
import TCPTrace
import TCPWire

/// The tolerant matcher for outbound packets.
///
/// By default a packet matches its script line when:
/// - the flags are the same (every flag: SYN, ACK, FIN, RST, PSH, URG, ECE, CWR);
/// - the sequence number, moved into script space, is the script's start;
/// - the acknowledgment number is the script's `ack` when ACK is set, and 0 when it is not;
/// - the payload length is the script's, after consecutive data segments have been put together
///   up to that length as packetdrill does for TSO/GSO (each one continuing the previous, same
///   flags apart from PSH/FIN, same ACK and window; skipped with `--strict_segments`);
/// - the urgent pointer is the script's (0 when it gives none);
/// - the options are the script's by content, not by order: NOP and EOL padding is ignored, every
///   other option must be present with the same value, and no other option may be (`<...>` skips
///   the check). Of a timestamp option only the TS ecr is compared (it echoes a TS val the script
///   sent, injected as written); the TS val is the engine's clock, as in packetdrill by default;
/// - the window is the script's, when the script gives one *and* set the receive buffer (with
///   SO_RCVBUF, tcp_rmem or recvspace): other windows follow another stack's buffer sizing;
/// - the ECN bits, TOS or TTL are the script's when it gives them;
/// - the time is the script's within the tolerance (or inside the range; any time for `*`).
///
/// `--strict` (ScriptRunOptions.strict) also checks the options in their exact order, NOPs and
/// EOL included, and the window whenever the script gives one.
enum OutboundMatch {}

extension Run {
    // MARK: Sockets and ports

    /// The socket an inbound packet goes to: the socket under test, or a new child when that is a
    /// listener or there is none (packetdrill's handle_listen_for_script_packet). A packet with
    /// explicit ports (`< 40001>8080 S ...`) goes to the socket of those ports, created if needed,
    /// so that a script can drive several connections (a listener's backlog, say).
    func socketForInbound(_ p: PacketSpec) -> ScriptSocket {
        if let remote = p.sourcePort, let local = p.destinationPort {
            return flow(local: local, remote: remote)
        }
        if let s = sut, s.state != .listening {
            if s.localPort == nil { s.localPort = s.boundPort ?? settings.bindPort }
            if s.remotePort == nil { s.remotePort = takeRemotePort() }
            return s
        }
        let child = ScriptSocket()
        child.state = .passivePacketReceived
        child.localPort = settings.bindPort
        child.remotePort = takeRemotePort()
        sockets.append(child)
        sut = child
        return child
    }

    /// The socket of a four-tuple given by explicit ports. A new one becomes the socket under test
    /// when that is a listener or there is none, as packetdrill's new children do.
    func flow(local: UInt16, remote: UInt16) -> ScriptSocket {
        if let s = sockets.first(where: { $0.localPort == local && $0.remotePort == remote }) {
            return s
        }
        let s = ScriptSocket()
        s.state = .passivePacketReceived
        s.localPort = local
        s.remotePort = remote
        sockets.append(s)
        if sut == nil || sut?.state == .listening { sut = s }
        return s
    }

    /// Whether some socket of the script owns this segment's four-tuple.
    func isKnown(_ seg: WireSegment) -> Bool {
        sockets.contains { belongs(seg, to: $0) }
    }

    func takeRemotePort() -> UInt16 {
        let p = nextRemotePort
        nextRemotePort = nextRemotePort >= 60_999 ? 40_000 : nextRemotePort + 1
        return p
    }

    /// Whether an outbound segment comes from the socket's live four-tuple.
    func belongs(_ seg: WireSegment, to s: ScriptSocket) -> Bool {
        guard let lp = s.localPort, let rp = s.remotePort else { return false }
        return seg.source.port == lp && seg.destination.port == rp && seg.destination.address == settings.remoteIP
    }

    // MARK: Inbound

    func inject(_ p: PacketSpec, line: Int) throws(Stop) {
        ensureStack()
        stackInUse = true
        let s = socketForInbound(p)
        if let icmp = p.icmp {
            // An ICMP error from the remote host quoting a segment the engine sent (its first
            // bytes: the IP header and 8 of TCP, RFC 792), at the script's sequence number.
            guard let (type, code) = icmp.values(ipv6: settings.localIP.isIPv6) else {
                try icmpSymbolUndefined(icmp, line: line)   // Run+ICMPQuote.swift
                throw failure(line, "unknown ICMP type or code \(icmp.type) \(icmp.code ?? "")")
            }
            let local = SocketAddress(settings.localIP, p.destinationPort ?? s.localPort ?? settings.bindPort)
            let remote = SocketAddress(settings.remoteIP, p.sourcePort ?? s.remotePort ?? settings.connectPort)
            let quoted: [UInt8]
            let (seq, length) = try icmpQuotedSegment(p, s, line: line)   // Run+ICMPQuote.swift
            do {
                quoted = try PacketBuilder.build(source: local, destination: remote, flags: [.ack], seq: seq,
                                                 ack: 0, window: 0, urgentPointer: 0, options: [], payloadLength: length,
                                                 ipInfo: IPInfo())
            } catch {
                throw failure(line, "cannot build the quoted packet: \(error)")
            }
            collectTrace()
            stack!.handle(ipPacket: ICMPMessage.build(type: type, code: code, rest: icmp.mtu ?? 0, from: settings.remoteIP, quoting: quoted), now: now)
            drain()
            try checkPending()
            return
        }
        if s.state == .passiveSynAckSent && p.flags.contains(.ack) {
            s.state = .passiveSynAcked
        } else if s.state == .activeSynSent && p.flags.contains([.syn, .ack]) {
            s.state = .activeSynAcked
        }
        // packetdrill writes the remote side's sequence numbers after the SYN relative to its ISN
        // (`< S. 123:123(0) ack 1` then `< P. 1:501(500)`; run_packet.c's remote offset); TCPKit's
        // own scripts write them literally (`< S 500:500(0)` then `< . 501:501(0)`). The first
        // later packet (or outbound ACK, `decideRemoteNumbering`) tells which: relative when its
        // number lies below the ISN in sequence space (a literal one is at or past it).
        if p.flags.contains(.syn) && s.scriptRemoteISN == nil { s.scriptRemoteISN = p.startSequence }
        if !p.flags.contains(.syn), s.remoteSeqRelative == nil, let isn = s.scriptRemoteISN {
            s.remoteSeqRelative = isn > 1 && Int32(bitPattern: p.startSequence &- isn) < 0
        }
        let seq = p.flags.contains(.syn) || s.remoteSeqRelative != true ? p.startSequence : p.startSequence &+ (s.scriptRemoteISN ?? 0)
        let source = SocketAddress(settings.remoteIP, p.sourcePort ?? s.remotePort ?? settings.connectPort)
        let destination = SocketAddress(settings.localIP, p.destinationPort ?? s.localPort ?? settings.bindPort)
        if p.flags.contains(.ack) && !p.flags.contains(.syn) { s.decideLocalNumbering(p.ack) }
        let ack = p.flags.contains(.ack) ? s.liveAck(p.ack, syn: p.flags.contains(.syn)) : p.ack
        var wireOptions: [TCPOptionSpec] = []
        for o in p.options ?? [] {
            switch o {
            case .sack(let blocks):
                wireOptions.append(.sack(blocks.map { .init(left: s.liveAck($0.left, syn: p.flags.contains(.syn)), right: s.liveAck($0.right, syn: p.flags.contains(.syn))) }))
            case let .timestamp(val, ecr) where p.flags.contains(.ack):
                if let live = s.tsValMap[ecr] {
                    wireOptions.append(.timestamp(value: val, echoReply: live))
                } else if ecr == 0 && s.firstTS == nil {
                    // Echoing nothing: the engine sent no timestamps to echo (it did not offer them).
                    wireOptions.append(.timestamp(value: val, echoReply: 0))
                } else if let f = s.firstTS {
                    // An ecr no outbound line named: moved by the offset of the first mapping, so
                    // that script values written in the engine's 1 ms ticks stay meaningful.
                    wireOptions.append(.timestamp(value: val, echoReply: f.live &+ (ecr &- f.script)))
                } else {
                    throw failure(line, "unable to infer live TS ecr for script TS ecr \(ecr): no matching or preceding outbound TS val",
                                  expected: "an outbound TS val \(ecr) earlier in the script",
                                  actual: s.tsValMap.isEmpty ? "the stack sent no timestamps" : "TS vals seen: \(s.tsValMap.keys.sorted())")
                }
            default:
                wireOptions.append(try resolveFastOpenCookie(o, line: line))
            }
        }
        let bytes: [UInt8]
        do {
            bytes = try PacketBuilder.build(source: source, destination: destination, flags: p.flags, seq: seq,
                                            ack: ack, window: p.window ?? 0, urgentPointer: p.urgentPointer, options: wireOptions,
                                            payloadLength: p.payloadLength, ipInfo: p.ipInfo)
        } catch {
            throw failure(line, "cannot build the inbound packet: \(error)")
        }
        collectTrace()
        if options.recordTimeline, let seg = WireSegment.parse(bytes, time: now) {
            recorder.send(seg.summary, from: "remote", at: now, fate: .delivered(at: now))
        }
        if let size = settings.inboundSegmentSize, p.payloadLength > size {
            // packetdrill's --mss: a GSO packet, which the receiver takes whole as GRO hands it over.
            bytes.withUnsafeBytes { stack!.handle(coalescedPacket: $0, segmentSize: size, now: now) }
        } else {
            stack!.handle(ipPacket: bytes, now: now)
        }
        drain()
        try checkPending()
    }

    // MARK: Outbound

    /// The next segment the stack sends from `s`, waiting through timers if none is queued.
    /// Segments of four-tuples no socket of the script owns are let go, as packetdrill's sniffer
    /// does; those of the script's other sockets wait for their own lines.
    func nextOutbound(for s: ScriptSocket, latest: Instant?) throws(Stop) -> (segment: WireSegment, index: Int)? {
        while true {
            outbound.removeAll { seg in
                guard !isKnown(seg) else { return false }
                note("ignored an outbound packet of no socket in the script: \(SegmentText.flags(seg.flags)) to port \(seg.destination.port)")
                return true
            }
            if let k = outbound.firstIndex(where: { belongs($0, to: s) }) { return (outbound.remove(at: k), k) }
            // Nothing yet: let time pass. Past the expected time we keep going only to say what
            // came instead, and leave blocked calls alone.
            let limit = min(Run.horizon, (latest ?? now) + .seconds(3600))
            let checkUntil = latest ?? Run.horizon
            guard let next = nextWakeup(), next <= limit else { return nil }
            _ = try step(until: limit, checkPending: next <= checkUntil)
        }
    }

    func expectOutbound(_ p: PacketSpec, event e: Event, start: Int64, end: Int64?, previous: Int64?) throws(Stop) {
        let line = e.line
        var target = sut
        if let local = p.sourcePort, let remote = p.destinationPort { target = flow(local: local, remote: remote) }
        guard let s = target else {
            throw failure(line, "no socket to expect an outbound packet from (no socket(), connect() or inbound packet before this line)",
                          expected: SegmentText.render(p), actual: "(no socket)")
        }
        if p.flags.contains([.syn, .ack]) && s.state == .passivePacketReceived {
            s.scriptLocalISN = p.startSequence
        }
        if p.flags.contains(.syn) && !p.flags.contains(.ack) && s.state == .activeConnecting {
            s.scriptLocalISN = p.startSequence
            s.state = .activeSynSent
        }
        let tol = tolerance(start, since: previous)
        var latest: Instant? = nil
        if case .any = e.time {} else { latest = Run.instant((end ?? start) + tol) }
        let expectedText = SegmentText.render(p) + " at " + expectedTime(e.time, start: start, end: end)

        guard let first = try nextOutbound(for: s, latest: latest)?.segment else {
            throw failure(line, "expected an outbound packet at \(expectedTime(e.time, start: start, end: end)) sec but the stack sent nothing",
                          expected: expectedText, actual: "(nothing sent)")
        }
        learnISN(s, p, first)
        var agg = first
        var previousFragment = first
        while agg.payloadLength < p.payloadLength && !settings.strictSegments {
            guard let (next, index) = try nextOutbound(for: s, latest: latest) else { break }
            learnISN(s, p, next)
            let continues = next.seq == previousFragment.seq &+ UInt32(truncatingIfNeeded: previousFragment.payloadLength)
                && next.flags.subtracting([.psh, .fin]) == previousFragment.flags.subtracting([.psh, .fin])
                && next.ack == previousFragment.ack && next.window == previousFragment.window
                && previousFragment.payloadLength > 0 && next.payloadLength > 0
                && !previousFragment.flags.contains(.fin)
            guard continues else {
                outbound.insert(next, at: index)   // not part of this train: a later line will see it
                break
            }
            agg.flags.formUnion(next.flags)
            agg.payloadLength += next.payloadLength
            agg.ack = next.ack
            agg.window = next.window
            previousFragment = next
        }

        s.lastOutbound = (previousFragment.seq, previousFragment.payloadLength)   // Run+ICMPQuote.swift
        // Timestamps: remember the script -> live TS val mapping (run_packet.c's map_outbound).
        if let po = p.options,
           case let .timestamp(scriptVal, _)? = po.first(where: { $0.kind == 8 }),
           case let .timestamp(liveVal, _)? = agg.options.first(where: { $0.kind == 8 }) {
            s.tsValMap[scriptVal] = liveVal
            if s.firstTS == nil { s.firstTS = (scriptVal, liveVal) }
        }

        let actualText = render(agg, for: s) + " at " + formatMicros(agg.time.nanoseconds / 1000)
        if let (field, exp, act) = compare(p, agg, s) {
            throw failure(line, "outbound packet: \(field): expected \(exp), actual \(act)", expected: expectedText, actual: actualText)
        }
        // Time (packetdrill's verify_time).
        let t = agg.time.nanoseconds / 1000
        var onTime = true
        switch e.time {
        case .any: break
        case .absoluteRange, .relativeRange: onTime = t >= start - tol && t <= (end ?? start) + tol
        default: onTime = t >= start - tol && t <= start + tol
        }
        if !onTime {
            throw failure(line, "timing error: expected outbound packet at \(expectedTime(e.time, start: start, end: end)) sec but happened at \(formatMicros(t)) sec; tolerance \(formatMicros(tol)) sec",
                          expected: expectedText, actual: actualText)
        }
    }

    func expectedTime(_ time: EventTime, start: Int64, end: Int64?) -> String {
        switch time {
        case .any: "any time"
        case .absoluteRange, .relativeRange: formatMicros(start) + "~" + formatMicros(end ?? start)
        default: formatMicros(start)
        }
    }

    /// The live ISN, from the stack's SYN-ACK (passive) or SYN (active). When a passive socket's
    /// first SYN is not the SYN-ACK the script expects, it is still learnt, so that the mismatch
    /// is shown in relative numbers.
    func learnISN(_ s: ScriptSocket, _ p: PacketSpec, _ seg: WireSegment) {
        if s.state == .passivePacketReceived && (p.flags.contains([.syn, .ack]) || seg.flags.contains(.syn)) {
            s.state = .passiveSynAckSent
            s.liveLocalISN = seg.seq
            if !p.flags.contains([.syn, .ack]) { s.scriptLocalISN = p.flags.contains(.syn) ? p.startSequence : 0 }
        } else if s.state == .activeSynSent && seg.flags.contains(.syn) && !seg.flags.contains(.ack) {
            s.liveLocalISN = seg.seq
        }
    }

    /// An outbound segment's sequence number in script space. The one exception to the ISN offset:
    /// a reset <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> (RFC 9293 §3.5.2, the answer to a segment
    /// without ACK) is outside the connection's sequence space, so it keeps its 0 and a script
    /// writes it `R. 0:0(0) ack N` whatever the ISN.
    func scriptSeq(_ seg: WireSegment, _ s: ScriptSocket) -> UInt32 {
        seg.seq == 0 && seg.flags.contains([.rst, .ack]) ? 0 : s.scriptSeq(seg.seq, syn: seg.flags.contains(.syn))
    }

    /// An outbound segment written as a script line would write it, in script space.
    func render(_ seg: WireSegment, for s: ScriptSocket) -> String {
        SegmentText.render(flags: seg.flags, seq: scriptSeq(seg, s), length: seg.payloadLength,
                           ack: seg.flags.contains(.ack) || seg.ack != 0 ? scriptAck(seg, s) : nil, window: seg.window,
                           urgent: seg.urgentPointer, options: scriptOptions(seg.options, s))
    }

    /// An outbound segment's ACK in script space: relative to the remote ISN the script's SYN
    /// gave, except on a SYN-ACK (packetdrill's convention, see `inject`).
    func scriptAck(_ seg: WireSegment, _ s: ScriptSocket) -> UInt32 {
        seg.flags.contains(.syn) || s.remoteSeqRelative != true ? seg.ack : seg.ack &- (s.scriptRemoteISN ?? 0)
    }

    /// Before any later inbound packet decided it: an outbound ACK the script writes relative to
    /// the remote ISN (`> . 1:1(0) ack 1` after `< S. 123:123(0)`) decides for relative numbers.
    func decideRemoteNumbering(_ p: PacketSpec, _ a: WireSegment, _ s: ScriptSocket) {
        guard s.remoteSeqRelative == nil, let isn = s.scriptRemoteISN, isn > 1, !a.flags.contains(.syn),
              a.flags.contains(.ack), a.ack != p.ack, a.ack &- isn == p.ack else { return }
        s.remoteSeqRelative = true
    }

    /// Options of a live segment in script space (TS val moved by the first mapping).
    func scriptOptions(_ options: [TCPOptionSpec], _ s: ScriptSocket) -> [TCPOptionSpec] {
        options.map { o in
            if case let .timestamp(v, e) = o, let f = s.firstTS {
                return .timestamp(value: f.script &+ (v &- f.live), echoReply: e)
            }
            if case let .sack(blocks) = o, s.remoteSeqRelative == true, let isn = s.scriptRemoteISN {
                return .sack(blocks.map { .init(left: $0.left &- isn, right: $0.right &- isn) })
            }
            return o
        }
    }

    /// The first field that differs, with the expected and actual values; nil if the segment matches.
    func compare(_ p: PacketSpec, _ a: WireSegment, _ s: ScriptSocket) -> (String, String, String)? {
        if p.flags != a.flags {
            return ("flags", SegmentText.flags(p.flags), SegmentText.flags(a.flags))
        }
        if !a.flags.contains(.syn) { s.decideLocalNumbering(p.startSequence) }
        let seq = scriptSeq(a, s)
        if seq != p.startSequence { return ("seq", String(p.startSequence), String(seq)) }
        decideRemoteNumbering(p, a, s)
        if scriptAck(a, s) != p.ack { return ("ack", String(p.ack), String(scriptAck(a, s))) }
        if a.payloadLength != p.payloadLength {
            return ("payload length", "\(p.payloadLength) bytes", "\(a.payloadLength) bytes")
        }
        if let w = p.window, options.strict || settings.receiveBufferSet, w != a.window {
            return ("window", String(w), String(a.window))
        }
        if p.urgentPointer != a.urgentPointer { return ("urgent pointer", String(p.urgentPointer), String(a.urgentPointer)) }
        if let po = p.options, let why = compareOptions(po.map { (try? resolveFastOpenCookie($0, line: 0)) ?? $0 }, scriptOptions(a.options, s)) {
            return ("options", why.0, why.1)
        }
        let ecnBits = a.tos & 3
        if let ecn = p.ipInfo.ecn, ecn.rawValue != ecnBits { return ("IP ECN", String(describing: ecn), "\(ecnBits)") }
        if p.ipInfo.ect01, ecnBits != 1 && ecnBits != 2 { return ("IP ECN", "ECT(0) or ECT(1)", "\(ecnBits)") }
        if let tos = p.ipInfo.tos, tos != a.tos { return ("TOS", String(tos), String(a.tos)) }
        if let ttl = p.ipInfo.ttl, ttl != a.hopLimit { return ("TTL", String(ttl), String(a.hopLimit)) }
        return nil
    }

    /// Options compared by content (or in order with --strict). Returns (expected, actual) texts on
    /// a mismatch.
    func compareOptions(_ script: [TCPOptionSpec], _ actual: [TCPOptionSpec]) -> (String, String)? {
        func same(_ x: TCPOptionSpec, _ y: TCPOptionSpec) -> Bool {
            switch (x, y) {
            // TS val not checked (the engine's clock, packetdrill's default); TS ecr echoes a script value.
            case let (.timestamp(_, e1), .timestamp(_, e2)): e1 == e2
            default: x == y
            }
        }
        let e = SegmentText.options(script).trimmingSpaces, a = SegmentText.options(actual).trimmingSpaces
        if options.strict {
            guard script.count == actual.count, zip(script, actual).allSatisfy(same) else {
                return ("<\(e.isEmpty ? "" : e.dropFirst().dropLast())> in this order", a.isEmpty ? "no options" : a)
            }
            return nil
        }
        var pool = actual.filter { $0 != .nop && $0 != .eol }
        var missing: [TCPOptionSpec] = []
        for o in script where o != .nop && o != .eol {
            if let k = pool.firstIndex(where: { same(o, $0) }) { pool.remove(at: k) } else { missing.append(o) }
        }
        if missing.isEmpty && pool.isEmpty { return nil }
        var exp = e.isEmpty ? "no options" : e
        var act = a.isEmpty ? "no options" : a
        if !missing.isEmpty { exp += " (missing: " + missing.map(\.description).joined(separator: ", ") + ")" }
        if !pool.isEmpty { act += " (unexpected: " + pool.map(\.description).joined(separator: ", ") + ")" }
        return (exp, act)
    }
}
