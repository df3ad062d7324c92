#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What text takes on a terminal: its width in columns, the width of a terminal, and words
/// wrapped to a width. The text pictures use it to fit a terminal (`LadderRenderer.width`).
public enum Terminal {
    /// The width in columns of the terminal on file descriptor `fd`, or nil if `fd` is not a
    /// terminal (a file or a pipe). Asks the terminal (TIOCGWINSZ); if it does not say, $COLUMNS.
    public static func columns(of fd: Int32) -> Int? {
        guard isatty(fd) == 1 else { return nil }
        var size = winsize()
        if ioctl(fd, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        if let text = getenv("COLUMNS"), let n = Int(String(cString: text)), n > 0 { return n }
        return nil
    }

    /// Columns `s` takes: ANSI escape sequences take none, East Asian wide characters (CJK,
    /// Hangul, full-width forms) two, every other character one.
    public static func width(of s: some StringProtocol) -> Int {
        var n = 0
        var inEscape = false
        for ch in s {
            if inEscape { if ch == "m" { inEscape = false }; continue }
            if ch == "\u{1B}" { inEscape = true; continue }
            n += ch.unicodeScalars.first.map(isWide) == true ? 2 : 1
        }
        return n
    }

    static func isWide(_ u: Unicode.Scalar) -> Bool {
        switch u.value {
        case 0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF,
             0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x20000...0x3FFFD:
            true
        default:
            false
        }
    }

    /// `text` broken into lines of at most `width` columns: at spaces, and between two wide
    /// characters (Chinese has no spaces); a word longer than a line is cut. Every line after
    /// the first starts with `indent` (counted in the width).
    public static func wrap(_ text: String, width: Int, indent: String = "") -> [String] {
        let room = max(1, width)
        let indentWidth = Terminal.width(of: indent)
        var lines: [String] = []
        var line = "", used = 0, lineStart = 0
        func finish() {
            while line.hasSuffix(" ") { line.removeLast() }
            lines.append(line)
            line = indent
            used = indentWidth
            lineStart = indentWidth
        }
        // Tokens: a run of narrow non-space characters, or one wide character; spaces between
        // tokens are kept unless a line breaks there.
        var tokens: [(spaces: Int, text: String)] = []
        var spaces = 0, word = ""
        for ch in text {
            if ch == " " {
                if !word.isEmpty { tokens.append((spaces, word)); word = ""; spaces = 0 }
                spaces += 1
            } else if ch.unicodeScalars.first.map(isWide) == true {
                if !word.isEmpty { tokens.append((spaces, word)); word = ""; spaces = 0 }
                tokens.append((spaces, String(ch)))
                spaces = 0
            } else {
                word.append(ch)
            }
        }
        if !word.isEmpty { tokens.append((spaces, word)) }
        for (spaces, token) in tokens {
            let w = Terminal.width(of: token)
            var gap = used == lineStart ? 0 : spaces
            if used > lineStart, used + gap + w > room { finish(); gap = 0 }
            line += String(repeating: " ", count: gap)
            used += gap
            for ch in token {
                let cw = Terminal.width(of: String(ch))
                if used > lineStart, used + cw > room { finish() }
                line.append(ch)
                used += cw
            }
        }
        if used > lineStart || lines.isEmpty { finish() }
        return lines
    }
}
