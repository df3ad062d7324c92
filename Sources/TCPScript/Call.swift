import TCPCore

/// A system call in progress.
struct Call {
    var spec: SyscallSpec
    var line: Int
    /// Script times (µs) of its start and, for `...end` calls, of its expected return.
    var start: Int64
    var end: Int64?
    var phase = 0
    var progress = 0
    /// A poll() timeout.
    var deadline: Instant?
    /// Checks made after the result: (message, expected, actual).
    var after: [(String, String, String)] = []
}

enum CallResult: Equatable {
    case value(Int64)
    case error(String)
}

enum Attempt {
    case done(CallResult)
    case wouldBlock
}
