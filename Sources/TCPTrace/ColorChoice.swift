#if canImport(Glibc)
import Glibc
#endif

/// Whether a text ladder is drawn in colour (`--color`).
public enum ColorChoice: String, Sendable, CaseIterable {
    case auto, always, never

    /// Colour for output to file descriptor `fd`: `auto` means only when it is a terminal, the
    /// output is not going to a file (`toFile`), and NO_COLOR is not set (no-color.org).
    public func enabled(fd: Int32, toFile: Bool) -> Bool {
        switch self {
        case .always: true
        case .never: false
        case .auto: !toFile && isatty(fd) == 1 && getenv("NO_COLOR") == nil
        }
    }
}
