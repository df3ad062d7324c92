import ArgumentParser
import TCPCore
import TCPScript
import TCPSim
import TCPTrace
#if canImport(Glibc)
import Glibc
#endif

/// `tcpkit script run FILE_OR_DIR... [--verbose] [--strict]`: packetdrill-format scripts against
/// TCPKit's engine, in-process, on virtual time.
struct ScriptCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "script",
        abstract: "Run packetdrill-format scripts against TCPKit's engine.",
        subcommands: [ScriptRunCommand.self]
    )
}

struct ScriptRunCommand: ParsableCommand, OutputCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run .pkt scripts (files, or directories searched for .pkt files).",
        discussion: """
        Prints PASS, FAIL (the script line, and the expected and actual segment or call) or \
        UNSUPPORTED (why) for each script, then `N passed, N failed, N unsupported`. \
        The exit status is 1 if any script failed.
        """
    )

    @Argument(help: "Script files or directories.")
    var paths: [String]

    @Flag(help: "Also print the notes and the ladder diagram of each run.")
    var verbose = false

    @Flag(help: "Check TCP options in their order, windows always, and that no packet goes unmatched.")
    var strict = false

    @Option(help: ArgumentHelp("Whose defaults the runs start from: linux, freebsd or tcpkit (default: chosen per script from its settings, net.ipv4.* Linux, net.inet.* or kern.ipc.* FreeBSD, none TCPKit's).", valueName: "profile"))
    var profile: TCPConfiguration.Profile?

    static let defaultFormat = OutputFormat.text
    static let formatHelp = "text: the report (with --verbose, each run's ladder). jsonl, mermaid, svg or html: the picture of one script's run, as `tcpkit scenario` draws it; the report then goes to standard error."
    @OptionGroup var out: OutputOptions<ScriptRunCommand>

    @Option(help: ArgumentHelp("--verbose: " + LadderWidth.help.replacingOccurrences(of: "Text ladder: ", with: "each run's ladder: "), valueName: "columns"))
    var width: Int?

    func validate() throws {
        guard !paths.isEmpty else { throw ValidationError("give at least one script file or directory") }
        try LadderWidth.validate(width)
        if out.format != .text && ScriptSuite.collect(paths).count != 1 {
            throw ValidationError("--format \(out.format.rawValue) draws one script's run; give exactly one script")
        }
    }

    func run() throws {
        if out.format != .text { return try drawOne() }
        if out.output != nil {
            var text = ""
            let totals = ScriptSuite.run(paths: paths, strict: strict, verbose: verbose, width: width, profile: profile) { text += $0 + "\n" }
            try out.write(text)
            FileOutput.standardError.line(totals.summary)
            if totals.failed > 0 { throw ExitCode(1) }
            return
        }
        let totals = ScriptSuite.run(paths: paths, strict: strict, verbose: verbose,
                                     width: LadderWidth.columns(width, fd: 1, toFile: false), profile: profile) { line in
            print(line)
        }
        fflush(nil)
        if totals.failed > 0 { throw ExitCode(1) }
    }

    /// `--format jsonl|mermaid|svg|html`: the one script's run as a picture on standard output
    /// (or `--output`); its PASS/FAIL/UNSUPPORTED report and the totals line on standard error.
    private func drawOne() throws {
        let path = ScriptSuite.collect(paths)[0]
        let result = ScriptSuite.run(file: path, options: ScriptRunOptions(strict: strict, recordTimeline: true, profile: profile))
        ScriptSuite.report(path: path, result: result, verbose: false).forEach(FileOutput.standardError.line)
        var totals = ScriptSuite.Totals()
        switch result.outcome {
        case .pass: totals.passed = 1
        case .fail: totals.failed = 1
        case .unsupported: totals.unsupported = 1
        }
        FileOutput.standardError.line(totals.summary)
        if let timeline = result.timeline {
            let picture = out.format.render(timeline, title: "tcpkit script run \(path)", paragraphs: result.notes)
            // On standard output the picture ends its last line.
            try out.write(picture + (out.output == nil && !picture.hasSuffix("\n") ? "\n" : ""))
        } else {
            // A script that could not be read or parsed never ran: there is nothing to draw.
            FileOutput.standardError.line("no run to draw: the script did not start")
        }
        fflush(nil)
        if totals.failed > 0 || result.timeline == nil { throw ExitCode(1) }
    }
}
