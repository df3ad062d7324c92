#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import TCPCore
import TCPTrace

/// A one-line progress bar for long simulations, on standard error, only when standard error is
/// a terminal: never in a file or a pipe, so redirected output and CI logs stay clean.
///
///     [##########··········]  50%  t=12.400 s  5.00 MB of 10.00 MB  3.23 Mbit/s
///
/// It shows the simulated time, the payload bytes moved so far (of the total, when known) and the
/// rate over simulated time. It redraws at most every `minimumInterval` of wall-clock time
/// (the simulation itself is untouched: virtual time decides everything in the run), and
/// `finish()` erases the line so that what follows starts on a clean one.
///
/// For a command that runs the simulator (`tcpkit simulate`):
///
///     let progress = ProgressDisplay()            // enabled only if stderr is a TTY
///     progress.attach(to: net, totalBytes: bytes) // redraws from the run loop
///     net.run()
///     progress.finish()
///
/// or call `update(simulatedTime:bytes:totalBytes:)` from a loop of one's own.
public final class ProgressDisplay {
    /// Whether anything is drawn at all.
    public let enabled: Bool
    /// Least wall-clock time between two redraws.
    public var minimumInterval: Duration = .milliseconds(100)
    /// Width of the bar in characters.
    public var barWidth = 20
    private let write: (String) -> Void
    private var lastDraw: ContinuousClock.Instant?
    private var drawn = false
    private var turns = 0

    /// `enabled` defaults to whether standard error is a terminal; `write` to writing to it.
    public init(enabled: Bool = ProgressDisplay.standardErrorIsTerminal, write: @escaping (String) -> Void = ProgressDisplay.writeStandardError) {
        self.enabled = enabled
        self.write = write
    }

    /// Whether standard error is a terminal (and not a dumb one).
    public static var standardErrorIsTerminal: Bool {
        guard isatty(2) == 1 else { return false }
        if let term = getenv("TERM"), String(cString: term) == "dumb" { return false }
        return true
    }

    public static func writeStandardError(_ s: String) { FileOutput.standardError.write(s) }

    /// Redraws from the network's run loop: bytes are the payload delivered so far.
    public func attach(to net: SimulatedNetwork, totalBytes: Int? = nil) {
        guard enabled else { return }
        let previous = net.onTurn
        net.onTurn = { [self] n in
            previous?(n)
            // The clock is read once every 64 turns: the loop turns millions of times.
            turns &+= 1
            if turns & 63 == 0 { update(simulatedTime: n.now, bytes: n.payloadBytesDelivered, totalBytes: totalBytes) }
        }
    }

    /// Redraws the line if enough wall-clock time has passed since the last redraw.
    public func update(simulatedTime: Instant, bytes: Int, totalBytes: Int? = nil) {
        guard enabled else { return }
        let now = ContinuousClock.now
        if let last = lastDraw, now - last < minimumInterval { return }
        lastDraw = now
        drawn = true
        // Carriage return and erase the line (ECMA-48 EL), then the new text.
        write("\r\u{1B}[2K" + Self.line(simulatedTime: simulatedTime, bytes: bytes, totalBytes: totalBytes, barWidth: barWidth))
    }

    /// Erases the bar, if one was drawn.
    public func finish() {
        guard enabled, drawn else { return }
        write("\r\u{1B}[2K")
        drawn = false
    }

    /// The text of the bar (without the control characters).
    public static func line(simulatedTime: Instant, bytes: Int, totalBytes: Int?, barWidth: Int = 20) -> String {
        var out = ""
        if let total = totalBytes, total > 0 {
            let fraction = min(1, max(0, Double(bytes) / Double(total)))
            let filled = Int((fraction * Double(barWidth)).rounded(.down))
            out += "[" + String(repeating: "#", count: filled) + String(repeating: "·", count: barWidth - filled) + "] "
            let percent = String(Int((fraction * 100).rounded(.down)))
            out += String(repeating: " ", count: 3 - percent.count) + percent + "%  "
        }
        out += "t=" + fixed(simulatedTime.seconds, 3) + " s  " + byteCount(bytes)
        if let total = totalBytes { out += " of " + byteCount(total) }
        let seconds = simulatedTime.seconds
        out += "  " + (seconds > 0 ? bitRate(Double(bytes) * 8 / seconds) : "– bit/s")
        return out
    }

    /// Bytes in decimal units: `512 B`, `1.50 kB`, `10.00 MB`.
    public static func byteCount(_ n: Int) -> String {
        let units = ["kB", "MB", "GB", "TB"]
        if n < 1000 { return "\(n) B" }
        var v = Double(n) / 1000, k = 0
        while v >= 1000, k < units.count - 1 { v /= 1000; k += 1 }
        return fixed(v, 2) + " " + units[k]
    }

    /// Bits per second in decimal units: `800 bit/s`, `3.23 Mbit/s`.
    public static func bitRate(_ r: Double) -> String {
        let units = ["kbit/s", "Mbit/s", "Gbit/s", "Tbit/s"]
        if r < 1000 { return "\(Int(r.rounded())) bit/s" }
        var v = r / 1000, k = 0
        while v >= 1000, k < units.count - 1 { v /= 1000; k += 1 }
        return fixed(v, 2) + " " + units[k]
    }

    /// `v` with exactly `digits` decimals.
    static func fixed(_ v: Double, _ digits: Int) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let n = Int64((v * scale).rounded())
        let whole = n / Int64(scale), fraction = String(abs(n) % Int64(scale))
        return "\(whole)." + String(repeating: "0", count: digits - fraction.count) + fraction
    }
}
