import ArgumentParser
import TCPTrace

/// A command with `--format` and `--output` (`OutputOptions`): its formats and their help.
protocol OutputCommand {
    associatedtype Format: ExpressibleByArgument & CaseIterable & Sendable
    static var defaultFormat: Format { get }
    static var formatHelp: String { get }
    static var outputHelp: String { get }
}

extension OutputCommand {
    static var outputHelp: String { "Write the output to this file instead of standard output." }
}

/// `--format` and `--output`, the same for every command that has them.
struct OutputOptions<Command: OutputCommand>: ParsableArguments {
    @Option(help: ArgumentHelp(Command.formatHelp))
    var format: Command.Format = Command.defaultFormat

    @Option(help: ArgumentHelp(Command.outputHelp))
    var output: String?

    /// Writes `text` to `--output`, or to standard output as it is.
    func write(_ text: String) throws {
        if let output {
            try ValidationError.wrapping { () throws(FileOutput.FileError) in try FileOutput.write(Array(text.utf8), toFile: output) }
        } else {
            print(text, terminator: "")
        }
    }
}

extension ValidationError {
    /// `body`'s value; a library's error (a typed error whose description is the message) becomes
    /// a `ValidationError` with the same message, as the command has always printed it.
    static func wrapping<T, E: Error>(_ body: () throws(E) -> T) throws -> T {
        do {
            return try body()
        } catch {
            throw ValidationError("\(error)")
        }
    }
}
