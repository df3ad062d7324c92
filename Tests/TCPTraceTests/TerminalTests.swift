import Testing
import TCPTrace

/// Text on a terminal: columns taken, and words wrapped to a width.
@Suite struct TerminalTests {
    @Test func widthCountsColumns() {
        #expect(Terminal.width(of: "SYN-SENT → ESTAB") == 16)
        #expect(Terminal.width(of: "\u{1B}[36mESTAB\u{1B}[0m") == 5, "escape sequences take no room")
        #expect(Terminal.width(of: "三次握手") == 8, "CJK characters take two columns")
        #expect(Terminal.width(of: "──▶ ✕ ↻") == 7)
    }

    @Test func wrapsAtSpacesWithAHangingIndent() {
        let lines = Terminal.wrap("• SYN and FIN each take one sequence number; a pure ACK takes none (RFC 9293 §3.4).", width: 30, indent: "  ")
        #expect(lines == ["• SYN and FIN each take one", "  sequence number; a pure ACK", "  takes none (RFC 9293 §3.4)."])
        #expect(lines.allSatisfy { Terminal.width(of: $0) <= 30 })
        #expect(Terminal.wrap("short", width: 30) == ["short"])
        #expect(Terminal.wrap("", width: 30) == [""])
    }

    @Test func wrapsChineseBetweenCharactersAndCutsLongWords() {
        let zh = Terminal.wrap("• 三次握手（RFC 9293 §3.5）：SYN", width: 12, indent: "  ")
        #expect(zh.allSatisfy { Terminal.width(of: $0) <= 12 }, "\(zh)")
        #expect(zh.joined().filter { $0 != " " } == "•三次握手（RFC9293§3.5）：SYN")
        let cut = Terminal.wrap("abcdefghij klm", width: 4)
        #expect(cut == ["abcd", "efgh", "ij", "klm"])
    }
}
