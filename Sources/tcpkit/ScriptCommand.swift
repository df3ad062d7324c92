import ArgumentParser
import TCPScript
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

struct ScriptRunCommand: ParsableCommand {
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

    func validate() throws {
        guard !paths.isEmpty else { throw ValidationError("give at least one script file or directory") }
    }

    func run() throws {
        let totals = ScriptSuite.run(paths: paths, strict: strict, verbose: verbose) { line in
            print(line)
        }
        fflush(nil)
        if totals.failed > 0 { throw ExitCode(1) }
    }
}
