#if canImport(Glibc)
import Glibc
#endif

/// Unbuffered writes to a file descriptor (standard output or error), whole strings at a time.
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
}
