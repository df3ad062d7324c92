#if canImport(Glibc)
import Glibc
#endif

/// Unbuffered writes to a file descriptor (standard output or error), whole strings at a time:
/// the one way every `tcpkit` command and the libraries behind it write to standard error
/// (`FileOutput.standardError.line(…)`).
public struct FileOutput: Sendable {
    public let fd: Int32
    public static let standardOutput = FileOutput(fd: 1), standardError = FileOutput(fd: 2)

    public init(fd: Int32) {
        self.fd = fd
    }

    public func write(_ text: String) { write(Array(text.utf8)) }
    /// `text` and a newline, in one write.
    public func line(_ text: String) { write(text + "\n") }

    /// All of `bytes` (a write interrupted by a signal is repeated); stops at the first error.
    public func write(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress!, $0.count) }
            if n < 0 { if errno == EINTR { continue }; return }
            offset += n
        }
    }

    /// Whether the descriptor is a terminal.
    public var isTerminal: Bool { isatty(fd) == 1 }

    /// Why `write(_:toFile:)` failed.
    public enum FileError: Error, Equatable, Sendable, CustomStringConvertible {
        case open(path: String)
        case write(path: String)

        public var description: String {
            switch self {
            case .open(let path): "cannot open \(path) for writing"
            case .write(let path): "cannot write \(path)"
            }
        }
    }

    /// Writes `bytes` to the file at `path`, replacing it (`--output`, `--pcap`).
    public static func write(_ bytes: [UInt8], toFile path: String) throws(FileError) {
        guard let f = fopen(path, "wb") else { throw .open(path: path) }
        defer { fclose(f) }
        guard fwrite(bytes, 1, bytes.count, f) == bytes.count else { throw .write(path: path) }
    }
}
