import ArgumentParser
import TCPCore
import TCPScript
import TCPSim
import TCPTrace
#if canImport(Glibc)
import Glibc
#endif

/// `tcpkit script run FILE_OR_DIR... [--verbose] [--strict] [--define NAME[=VALUE]]...`:
/// packetdrill-format scripts against TCPKit's engine, in-process, on virtual time.
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
        Prints PASS, FAIL (the script line, and the expected and actual segment or call; a script \
        the runner cannot parse is a FAIL whose reason begins "parse error") or UNSUPPORTED (why) \
        for each script; then, when more than one script ran, a table per folder (passed, failed, \
        unsupported, parse errors) and the ten most frequent reasons for FAIL and for UNSUPPORTED \
        (numbers shown as N and absolute paths as PATH, so that one cause counts once); last \
        `N passed, N failed, N unsupported`. The exit status is 1 if any script failed.
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

    static let defaultFormat = ScriptRunFormat.text
    static let formatHelp = "text: the report (with --verbose, each run's ladder). json: the same as one JSON object (per script: path, folder, outcome, cause of a FAIL, line, reason; per folder and in all: the counts; the most frequent reasons). markdown: a page with the folder table, the most frequent reasons and every FAIL and UNSUPPORTED script with its reason. jsonl, mermaid, svg or html: the picture of one script's run, as `tcpkit scenario` draws it; the report then goes to standard error."
    @OptionGroup var out: OutputOptions<ScriptRunCommand>

    @Option(name: .customLong("define"), help: ArgumentHelp(
        "Define NAME for the scripts' #ifdef/#ifndef lines (nplab's packetdrill), and with =VALUE make NAME read as VALUE wherever a script writes it (packetdrill's --define/-D). Repeatable.",
        valueName: "NAME[=VALUE]"))
    var defines: [String] = []

    @Option(help: ArgumentHelp("--verbose: " + LadderWidth.help.replacingOccurrences(of: "Text ladder: ", with: "each run's ladder: "), valueName: "columns"))
    var width: Int?

    func validate() throws {
        guard !paths.isEmpty else { throw ValidationError("give at least one script file or directory") }
        try LadderWidth.validate(width)
        if out.format.picture != nil && ScriptSuite.collect(paths).count != 1 {
            throw ValidationError("--format \(out.format.rawValue) draws one script's run; give exactly one script")
        }
        _ = try definitions()
    }

    /// `--define` values as `ScriptRunOptions.defines`.
    func definitions() throws -> [String: String] {
        var out: [String: String] = [:]
        for d in defines {
            let name = d.prefix { $0 != "=" }
            let value = d.dropFirst(name.count).dropFirst()
            guard let first = name.first, !first.isNumber, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
                throw ValidationError("--define \(d): NAME is letters, digits and _, not starting with a digit")
            }
            out[String(name)] = String(value)
        }
        return out
    }

    func options(recordTimeline: Bool) throws -> ScriptRunOptions {
        ScriptRunOptions(strict: strict, recordTimeline: recordTimeline, defines: try definitions(), profile: profile)
    }

    func run() throws {
        if out.format.picture != nil { return try drawOne() }
        let options = try options(recordTimeline: verbose && out.format == .text)
        if out.format == .json || out.format == .markdown {
            let report = ScriptSuite.run(paths: paths, options: options)
            let title = "tcpkit script run " + paths.joined(separator: " ")
            try out.write(out.format == .json ? report.json() + "\n" : report.markdown(title: title))
            if out.output != nil { FileOutput.standardError.line(report.summaryLines().last ?? "") }
            fflush(nil)
            if report.totals.failed > 0 { throw ExitCode(1) }
            return
        }
        if out.output != nil {
            var text = ""
            let report = ScriptSuite.run(paths: paths, options: options, verbose: verbose, width: width) { text += $0 + "\n" }
            try out.write(text)
            FileOutput.standardError.line(report.summaryLines().last ?? "")
            if report.totals.failed > 0 { throw ExitCode(1) }
            return
        }
        let report = ScriptSuite.run(paths: paths, options: options, verbose: verbose,
                                     width: LadderWidth.columns(width, fd: 1, toFile: false)) { line in
            print(line)
        }
        fflush(nil)
        if report.totals.failed > 0 { throw ExitCode(1) }
    }

    /// `--format jsonl|mermaid|svg|html`: the one script's run as a picture on standard output
    /// (or `--output`); its PASS/FAIL/UNSUPPORTED report and the totals line on standard error.
    private func drawOne() throws {
        let path = ScriptSuite.collect(paths)[0]
        let result = ScriptSuite.run(file: path, options: try options(recordTimeline: true))
        ScriptSuite.report(path: path, result: result, verbose: false).forEach(FileOutput.standardError.line)
        var totals = ScriptSuite.Totals()
        switch result.outcome {
        case .pass: totals.passed = 1
        case .fail: totals.failed = 1
        case .unsupported: totals.unsupported = 1
        }
        FileOutput.standardError.line(totals.summary)
        if let timeline = result.timeline, let format = out.format.picture {
            let picture = format.render(timeline, title: "tcpkit script run \(path)", paragraphs: result.notes)
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
