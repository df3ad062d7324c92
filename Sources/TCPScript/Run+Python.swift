import Foundation
import TCPCore

// `%{ ... }%` blocks: packetdrill hands them to Python with the socket under test's `tcp_info`
// as variables (`tcpi_snd_cwnd`, ...). The runner does the same: it runs `python3` with the
// names below set from the engine's `TCPInfo` at that instant, in Linux's units (times in µs,
// cwnd and ssthresh in segments). A failing `assert` fails the script at the block's line; a
// `tcpi_` name TCPKit cannot fill makes it UNSUPPORTED, naming it (checked before the run).

extension Run {
    /// The `tcpi_` names a block may use. Values in Linux's units (include/uapi/linux/tcp.h).
    static let pythonTCPInfoNames: Set<String> = [
        "tcpi_state", "tcpi_ca_state", "tcpi_retransmits", "tcpi_backoff", "tcpi_snd_wscale", "tcpi_rcv_wscale",
        "tcpi_rto", "tcpi_snd_mss", "tcpi_rcv_mss", "tcpi_advmss", "tcpi_unacked", "tcpi_sacked", "tcpi_rtt",
        "tcpi_rttvar", "tcpi_snd_ssthresh", "tcpi_snd_cwnd", "tcpi_total_retrans", "tcpi_bytes_acked",
        "tcpi_bytes_received", "tcpi_bytes_sent", "tcpi_bytes_retrans", "tcpi_segs_out", "tcpi_segs_in",
        "tcpi_delivery_rate", "tcpi_snd_wnd", "tcpi_notsent_bytes",
    ]

    /// Constants a block compares with (Linux's values).
    static let pythonConstants: [(String, Int64)] = [
        ("TCP_ESTABLISHED", 1), ("TCP_SYN_SENT", 2), ("TCP_SYN_RECV", 3), ("TCP_FIN_WAIT1", 4), ("TCP_FIN_WAIT2", 5),
        ("TCP_TIME_WAIT", 6), ("TCP_CLOSE", 7), ("TCP_CLOSE_WAIT", 8), ("TCP_LAST_ACK", 9), ("TCP_LISTEN", 10),
        ("TCP_CLOSING", 11),
        ("TCP_CA_Open", 0), ("TCP_CA_Disorder", 1), ("TCP_CA_CWR", 2), ("TCP_CA_Recovery", 3), ("TCP_CA_Loss", 4),
        ("TCPI_OPT_TIMESTAMPS", 1), ("TCPI_OPT_SACK", 2), ("TCPI_OPT_WSCALE", 4), ("TCPI_OPT_ECN", 8),
        ("TCPI_OPT_ECN_SEEN", 16), ("TCPI_OPT_SYN_DATA", 32),
    ]

    /// Linux's number for a state (`tcp_states.h`).
    static func linuxState(_ s: TCPState) -> Int64 {
        switch s {
        case .established: 1
        case .synSent: 2
        case .synReceived: 3
        case .finWait1: 4
        case .finWait2: 5
        case .timeWait: 6
        case .closed: 7
        case .closeWait: 8
        case .lastAck: 9
        case .listen: 10
        case .closing: 11
        }
    }

    /// The `tcpi_` names of `code` that TCPKit cannot fill, in the order they appear.
    static func unfillableTCPInfoNames(_ code: String) -> [String] {
        var out: [String] = []
        var word = ""
        for c in code + " " {
            if c.isASCII && (c.isLetter || c.isNumber || c == "_") {
                word.append(c)
                continue
            }
            if word.hasPrefix("tcpi_") && !pythonTCPInfoNames.contains(word) && !out.contains(word) { out.append(word) }
            word = ""
        }
        return out
    }

    /// The variables of a block: every `tcpi_` name from the socket under test's `TCPInfo` (nil:
    /// no connection, so none), in Linux's units.
    func pythonTCPInfo() -> [(String, Int64)]? {
        guard let cid = sut?.connection, let stack, let t = stack.tcpInfo(of: cid), let c = stack.info(of: cid) else { return nil }
        let mss = Int64(max(1, t.sendMSS))
        func segments(_ bytes: Int) -> Int64 { (Int64(bytes) + mss - 1) / mss }
        func micros(_ d: Duration?) -> Int64 {
            guard let d else { return 0 }
            return d.components.seconds * 1_000_000 + d.components.attoseconds / 1_000_000_000_000
        }
        let caState: Int64 = switch t.congestionState {
        case .open: 0
        case .recovery: 3
        case .loss: 4
        }
        return [
            ("tcpi_state", Run.linuxState(t.state)), ("tcpi_ca_state", caState),
            ("tcpi_retransmits", Int64(t.backoff)), ("tcpi_backoff", Int64(t.backoff)),
            ("tcpi_snd_wscale", Int64(c.windowShifts?.send ?? 0)), ("tcpi_rcv_wscale", Int64(c.windowShifts?.receive ?? 0)),
            ("tcpi_rto", micros(t.rto)), ("tcpi_snd_mss", Int64(t.sendMSS)), ("tcpi_rcv_mss", Int64(t.receiveMSS)),
            ("tcpi_advmss", Int64(t.advertisedMSS)), ("tcpi_unacked", segments(t.bytesInFlight)),
            ("tcpi_sacked", segments(t.sackedBytesOutstanding)), ("tcpi_rtt", micros(t.srtt)), ("tcpi_rttvar", micros(t.rttvar)),
            ("tcpi_snd_ssthresh", t.ssthresh.map { Int64($0) / mss } ?? 0x7fff_ffff),   // TCP_INFINITE_SSTHRESH
            ("tcpi_snd_cwnd", Int64(t.cwnd) / mss), ("tcpi_total_retrans", Int64(t.segmentsRetransmitted)),
            ("tcpi_bytes_acked", Int64(t.bytesAcked)), ("tcpi_bytes_received", Int64(t.bytesReceived)),
            ("tcpi_bytes_sent", Int64(t.bytesSent)), ("tcpi_bytes_retrans", Int64(t.bytesRetransmitted)),
            ("tcpi_segs_out", Int64(t.segmentsSent)), ("tcpi_segs_in", Int64(t.segmentsReceived)),
            ("tcpi_delivery_rate", Int64(t.deliveryRate)), ("tcpi_snd_wnd", Int64(t.sendWindow)),
            ("tcpi_notsent_bytes", Int64(max(0, t.sendQueue - t.bytesInFlight))),
        ]
    }

    /// `python3` on the PATH, looked up once.
    static let python: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = String(dir) + "/python3"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }()

    /// Runs one block at its event's instant: the names, then the block's code.
    func runPython(_ code: String, line: Int) throws(Stop) {
        guard let python = Run.python else { throw .unsupported("line \(line): %{ }% blocks need python3, which is not on the PATH") }
        var preamble = Run.pythonConstants.map { "\($0.0) = \($0.1)" }
        if let info = pythonTCPInfo() { preamble += info.map { "\($0.0) = \($0.1)" } }
        let program = preamble.joined(separator: "\n") + "\n" + code + "\n"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", program]
        // Standard error to a file, not a pipe: a block that writes more than a pipe holds must
        // not stall while the runner waits for it to end.
        let errorPath = FileManager.default.temporaryDirectory.appendingPathComponent("tcpkit-python-\(UUID().uuidString)").path
        guard FileManager.default.createFile(atPath: errorPath, contents: nil), let errors = FileHandle(forWritingAtPath: errorPath) else {
            throw .unsupported("line \(line): %{ }% block: no temporary file for python3's messages")
        }
        defer {
            try? errors.close()
            try? FileManager.default.removeItem(atPath: errorPath)
        }
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch {
            throw .unsupported("line \(line): %{ }% block: python3 did not start (\(error))")
        }
        // Bounded: a block that runs on is stopped.
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { usleep(2_000) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            throw failure(line, "%{ }% block did not finish within 10 seconds")
        }
        let text = String(decoding: FileManager.default.contents(atPath: errorPath) ?? Data(), as: UTF8.self)
        guard process.terminationStatus != 0 else { return }
        let lines = text.split(separator: "\n").map(String.init)
        let last = lines.last ?? "exit status \(process.terminationStatus)"
        if last.hasPrefix("NameError:") {
            throw .unsupported("line \(line): %{ }% block: \(last.dropFirst("NameError: ".count)) (a name TCPKit does not fill)")
        }
        // The block's own line that failed: `File "<string>", line N` counts the preamble too.
        var failed = ""
        if let place = lines.last(where: { $0.contains("File \"<string>\", line ") }),
           let range = place.range(of: "File \"<string>\", line "),
           let n = Int(place[range.upperBound...].prefix { $0.isNumber }), n > preamble.count {
            let codeLines = code.split(separator: "\n", omittingEmptySubsequences: false)
            let k = n - preamble.count - 1
            if k < codeLines.count { failed = String(codeLines[k]).trimmingSpaces }
        }
        let message = last.hasPrefix("AssertionError") ? "assertion failed" : "Python error"
        throw failure(line, "%{ }% block: \(message)\(failed.isEmpty ? "" : ": \(failed)")", expected: failed.isEmpty ? nil : failed,
                      actual: last)
    }
}
