import TCPCore
import TCPTrace
import TCPWire

// What `tcpkit simulate` prints: the summary as text or as one JSON object.

extension SimulationResult {
    /// One JSON object (`tcpkit simulate --format json`).
    public func json(options o: SimulationOptions, replay: String) -> String {
        var j = JSONObject()
        j["seed"] = .raw(String(seed))
        j["cc"] = .string(o.configuration.congestionControl.rawValue)
        j["passed"] = .bool(passed)
        j["intact"] = .bool(intact)
        var bytes = JSONObject()
        for d in directions { bytes[d.from + "To" + d.to.capitalizedFirst] = .int(d.bytes) }
        j["bytes"] = .object(bytes)
        j["goodputBitsPerSecond"] = .double(goodputBitsPerSecond)
        j["retransmittedSegments"] = .int(retransmittedSegments)
        j["simulatedSeconds"] = .double(simulatedSeconds)
        j["endedSeconds"] = .double(endedAt.seconds)
        var finals = JSONObject()
        for host in ["client", "server"] {
            var h = JSONObject()
            h["state"] = .string(finalStates[host]?.description ?? "CLOSED")
            h["error"] = errors[host].map { .string($0.description) } ?? .null
            h["connectionsLeft"] = .int(connectionsLeft[host] ?? 0)
            if let r = resourcesLeft[host] {
                var left = JSONObject()
                left["handles"] = .int(r.handles)
                left["armedTimers"] = .int(r.armedTimers)
                left["listeners"] = .int(r.listeners)
                left["acceptQueued"] = .int(r.acceptQueued)
                left["queuedOutput"] = .int(r.queuedOutput)
                left["pendingEvents"] = .int(r.pendingEvents)
                h["left"] = .object(left)
            }
            guard let s = statistics[host] else { finals[host] = .object(h); continue }
            h["segmentsSent"] = .int(s.segmentsSent)
            h["segmentsReceived"] = .int(s.segmentsReceived)
            h["retransmissions"] = .int(s.retransmissions)
            h["fastRetransmissions"] = .int(s.fastRetransmissions)
            h["duplicateACKs"] = .int(s.duplicateACKs)
            var drops = JSONObject()
            for (reason, n) in s.drops.sorted(by: { $0.key.rawValue < $1.key.rawValue }) { drops[reason.rawValue] = .int(n) }
            h["drops"] = .object(drops)
            finals[host] = .object(h)
        }
        j["final"] = .object(finals)
        j["directions"] = .array(directions.map { d in
            var x = JSONObject()
            x["from"] = .string(d.from)
            x["to"] = .string(d.to)
            x["bytes"] = .int(d.bytes)
            x["delivered"] = .int(d.delivered)
            x["intact"] = .bool(d.intact)
            x["sha256Sent"] = .string(d.sha256Sent)
            x["sha256Received"] = .string(d.sha256Received)
            x["goodputBitsPerSecond"] = .double(d.goodputBitsPerSecond)
            x["steadyGoodputBitsPerSecond"] = .double(d.steadyGoodputBitsPerSecond())
            return .object(x)
        })
        var links = JSONObject()
        for (name, c) in link.sorted(by: { $0.key < $1.key }) {
            var x = JSONObject()
            x["packets"] = .int(c.packets)
            x["bytes"] = .int(c.bytes)
            x["lost"] = .int(c.lost)
            x["queueDrops"] = .int(c.queueDrops)
            x["blackholed"] = .int(c.blackholed)
            x["duplicated"] = .int(c.duplicated)
            x["reordered"] = .int(c.reordered)
            x["corrupted"] = .int(c.corrupted)
            if c.ceMarked > 0 { x["ceMarked"] = .int(c.ceMarked) }
            if c.tooBig > 0 {
                x["tooBig"] = .int(c.tooBig)
                x["packetTooBigSent"] = .int(c.packetTooBigSent)
            }
            links[name == "client→server" ? "clientToServer" : "serverToClient"] = .object(x)
        }
        j["link"] = .object(links)
        j["failures"] = .array(failures.map { .string($0) })
        j["notes"] = .array(notes.map { .string($0) })
        j["replay"] = .string(replay)
        return JSONValue.object(j).encoded
    }

    /// The text summary.
    public func text(options o: SimulationOptions, replay: String) -> String {
        var t = ""
        t += "link client→server: \(o.forward.summary)\n"
        if o.reverse != o.forward { t += "link server→client: \(o.reverse.summary)\n" }
        if let heal = o.healAt { t += "every fault until \(format3(heal.seconds)) s, then everything must be over within \(Scenario.describe(o.livenessBound))\n" }
        for d in directions {
            let state = d.intact ? "intact" : "NOT intact"
            t += "\(d.from) → \(d.to): \(d.delivered) of \(d.bytes) bytes, \(state), SHA-256 \(d.sha256Received.prefix(16))…"
            t += ", goodput \(rate(d.goodputBitsPerSecond)) (steady \(rate(d.steadyGoodputBitsPerSecond())))\n"
        }
        let up = link["client→server"] ?? LinkCounters(), down = link["server→client"] ?? LinkCounters()
        let l = up + down
        t += "link: \(l.packets) packets, \(l.lost) lost, \(l.queueDrops) queue drops, \(l.blackholed) blackholed, \(l.duplicated) duplicated, \(l.reordered) reordered, \(l.corrupted) corrupted\n"
        if o.configuration.ecn != .off, o.forward.ecnMarkThreshold != nil || o.reverse.ecnMarkThreshold != nil {
            func sum(_ k: KeyPath<TCPStatistics, Int>) -> Int { statistics.values.map { $0[keyPath: k] }.reduce(0, +) }
            t += "ECN: \(l.ceMarked) packets marked CE, \(sum(\.ecnCEReceived)) CE marks received, \(sum(\.ecnEchoesReceived)) ACKs with ECE, \(sum(\.ecnReductions)) cwnd reductions; \(sum(\.ecnConnections)) connections agreed on ECN\n"
        }
        if l.tooBig > 0 { t += "path MTU: \(l.tooBig) packets too big dropped, \(l.packetTooBigSent) ICMP messages sent back\n" }
        let checksum = statistics.values.map { $0.dropCount(.badChecksum) }.reduce(0, +)
        let malformed = statistics.values.map { $0.dropCount(.malformed) }.reduce(0, +)
        t += "retransmitted segments: \(retransmittedSegments); corrupted segments dropped: \(checksum) bad checksum\(malformed > 0 ? ", \(malformed) malformed" : "")\n"
        t += "simulated time: \(format3(simulatedSeconds)) s to the end of the transfer, \(format3(endedAt.seconds)) s to the end of TIME-WAIT\n"
        let states = ["client", "server"].map { h in "\(h) \(finalStates[h]?.description ?? "CLOSED")\(errors[h].map { " (\($0))" } ?? "")" }
        t += "final: \(states.joined(separator: ", ")); connections left: client \(connectionsLeft["client"] ?? 0), server \(connectionsLeft["server"] ?? 0)\n"
        for n in notes { t += "note: \(n)\n" }
        if passed {
            t += "PASS\n"
        } else {
            for f in failures { t += "FAIL: \(f)\n" }
            t += "Replay: \(replay)\n"
        }
        return t
    }
}

/// "100 Mbit/s", "2.85 Mbit/s", "640 kbit/s".
public func rate(_ bps: Double) -> String {
    if bps >= 1e9 { return format2(bps / 1e9) + " Gbit/s" }
    if bps >= 1e6 { return format2(bps / 1e6) + " Mbit/s" }
    if bps >= 1e3 { return format2(bps / 1e3) + " kbit/s" }
    return format2(bps) + " bit/s"
}

func format2(_ x: Double) -> String {
    let s = format3(x)
    return String(s.dropLast())
}
