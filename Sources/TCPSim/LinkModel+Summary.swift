import TCPCore
import TCPTrace
import TCPWire

extension LinkModel {
    /// "delay 25 ms, jitter 0 ms, 100 Mbit/s, queue 100 packets, loss 1%".
    public var summary: String {
        var parts = ["delay \(ms(delay))"]
        if jitter > .zero { parts.append("jitter \(ms(jitter))") }
        parts.append(bandwidthBitsPerSecond.map { rate($0) } ?? "unlimited bandwidth")
        parts.append(queue.map { "queue \($0)" } ?? "unbounded queue")
        if loss > 0 { parts.append("loss \(percent(loss))") }
        if duplicate > 0 { parts.append("duplicate \(percent(duplicate))\(duplicateDelay > .zero ? " (+\(ms(duplicateDelay)))" : "")") }
        if reorder > 0 { parts.append("reorder \(percent(reorder))") }
        if corrupt > 0 { parts.append("corrupt \(percent(corrupt))") }
        if hasRandomFaults, faultsStart != nil || faultsEnd != nil {
            parts.append("random faults \(format3((faultsStart ?? .zero).seconds))–\(faultsEnd.map { format3($0.seconds) } ?? "…") s")
        }
        if let t = ecnMarkThreshold { parts.append("ECN marks from \(t)") }
        if let pathMTU { parts.append("path MTU \(pathMTU)\(sendsPacketTooBig ? "" : " (no ICMP)")") }
        for o in outages { parts.append("blackhole \(format3(o.start.seconds))–\(o.end == .forever ? "…" : format3(o.end.seconds)) s") }
        return parts.joined(separator: ", ")
    }

    private func ms(_ d: Duration) -> String { format3(Double(d.nanoseconds) / 1e6).trimmedZeros + " ms" }
    private func percent(_ p: Double) -> String { format3(p * 100).trimmedZeros + "%" }
}
