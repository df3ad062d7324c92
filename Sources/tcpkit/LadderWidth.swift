import ArgumentParser
import TCPTrace

/// The text ladder's width (`--width`): given, or the terminal's when the output goes to one.
enum LadderWidth {
    static let help = "Text ladder: fit this many columns, leaving out the timestamp values, then windows and options, then shortening state names (SYN-RCVD, ESTAB) and host labels, until it fits. Default: the terminal's width when writing to a terminal; the full ladder (about 130 columns) for files and pipes."

    /// `width`, or the width of the terminal on `fd` if there is one and the output is not a file.
    static func columns(_ width: Int?, fd: Int32, toFile: Bool) -> Int? {
        width ?? (toFile ? nil : Terminal.columns(of: fd))
    }

    static func validate(_ width: Int?) throws {
        if let width, width < LadderRenderer.minimumWidth {
            throw ValidationError("--width must be at least \(LadderRenderer.minimumWidth)")
        }
    }
}
