extension SimulationArguments {
    /// The arguments after `tcpkit` that replay the run of `seed`: the seed and every option that
    /// differs from its default, as given (times with their unit: a bare number gets an `s`); a
    /// `--script` rule is quoted for a POSIX shell.
    public func replayArguments(seed: UInt64) -> [String] {
        let d = SimulationArguments()
        var a = ["simulate", "--seed", String(seed)]
        if congestionControl != d.congestionControl { a += ["--cc", congestionControl.rawValue] }
        if faults == .random {
            a += ["--faults", "random"]
        } else {
            a += ["--bytes", bytes]
            if both { a.append("--both") }
            a += ["--delay", Duration.withUnit(delay)]
            if jitter != d.jitter { a += ["--jitter", Duration.withUnit(jitter)] }
            if let bandwidth { a += ["--bandwidth", bandwidth] }
            if let queue { a += ["--queue", queue] }
            for (name, values) in [("--loss", loss), ("--duplicate", duplicate), ("--reorder", reorder), ("--corrupt", corrupt),
                                   ("--faults-during", faultsDuring)] {
                for v in values { a += [name, v] }
            }
            for b in blackhole { a += ["--blackhole", b] }
            for p in partition { a += ["--partition", p] }
            if let healAt { a += ["--heal-at", Duration.withUnit(healAt)] }
            if (try? Duration(parsing: liveness)) != (try? Duration(parsing: d.liveness)) { a += ["--liveness", Duration.withUnit(liveness)] }
            if let buffer { a += ["--buffer", buffer] }
            if ipv6 { a.append("--ipv6") }
            if let pathMTU { a += ["--path-mtu", pathMTU] }
            if !icmp { a.append("--no-icmp") }
            if ecn { a.append("--ecn") }
            if let ecnThreshold { a += ["--ecn-threshold", ecnThreshold] }
        }
        for r in script { a += ["--script", "'\(r.replacing("'", with: "'\\''"))'"] }
        if json { a += ["--format", "json"] }
        return a
    }

    /// The command line that replays the run of `seed` (`tcpkit simulate …`), as printed.
    public func replayCommand(seed: UInt64) -> String {
        (["tcpkit"] + replayArguments(seed: seed)).joined(separator: " ")
    }
}
