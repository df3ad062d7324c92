import Foundation
import Testing
@testable import TCPScript

@Suite("Report: folder table, most frequent reasons, JSON and Markdown")
struct ScriptReportTests {
    func entry(_ path: String, _ outcome: ScriptOutcome) -> ScriptReport.Entry {
        ScriptReport.Entry(path: "/corpus/" + path, displayPath: path, folder: (path as NSString).deletingLastPathComponent, outcome: outcome)
    }

    var report: ScriptReport {
        ScriptReport(entries: [
            entry("a/one.pkt", .pass),
            entry("a/two.pkt", .fail(ScriptFailure(line: 12, lineText: "+0 > . 1:1(0) ack 1", message: "outbound packet: ack: expected 2, actual 1",
                                                   expected: ". 1:1(0) ack 2", actual: ". 1:1(0) ack 1"))),
            entry("a/three.pkt", .fail(ScriptFailure(line: 7, lineText: "", message: "outbound packet: ack: expected 1001, actual 1"))),
            entry("b/four.pkt", .fail(ScriptFailure(line: 3, lineText: "", message: "parse error: expected '}', found '='", cause: .parseError))),
            entry("b/five.pkt", .unsupported("line 1: shell command `../common/defaults.sh` is not a setting TCPKit knows")),
            entry("b/c/six.pkt", .unsupported("line 2: shell command `../../common/defaults.sh` is not a setting TCPKit knows")),
            entry("b/c/seven.pkt", .unsupported("setting net.ipv4.tcp_rmem=4096 87380 6291456 | x is not known")),
        ])
    }

    @Test("reasons are normalised: numbers standing alone, absolute paths and ../ depth, not names")
    func normalize() {
        #expect(ScriptReport.normalize("line 12: outbound packet: ack: expected 2, actual 1") == "outbound packet: ack: expected N, actual N")
        #expect(ScriptReport.normalize("timing error: expected at 0.100~0.200 sec but happened at 0.3 sec") == "timing error: expected at N~N sec but happened at N sec")
        #expect(ScriptReport.normalize("net.ipv4.tcp_rmem=\"4096 540000 0x10\" on ipv6 and tcp_v4") == "net.ipv4.tcp_rmem=\"N N N\" on ipv6 and tcp_v4")
        #expect(ScriptReport.normalize("cannot read /no/such/file.pkt") == "cannot read PATH")
        #expect(ScriptReport.normalize("`../../../common/set_sysctls.py /proc/sys/net/ipv4/tcp_fastopen=0x30003`")
                == "`../common/set_sysctls.py /proc/sys/net/ipv4/tcp_fastopen=N`")
        #expect(ScriptReport.normalize("a  b\n\tc 8080abc S.") == "a b c 8080abc S.")
        #expect(ScriptReport.normalize("line 3") == "line N")
    }

    @Test("the folder table, the most frequent reasons, the parse error count and the totals last")
    func text() {
        let lines = report.summaryLines()
        #expect(lines == [
            "",
            "folder  passed  failed  unsupported  parse errors",
            "a            1       2            0             0",
            "b            0       1            1             1",
            "b/c          0       0            2             0",
            "all          1       3            3             1",
            "",
            "most frequent FAIL reasons (\(ScriptReport.normalization)):",
            "    2  outbound packet: ack: expected N, actual N",
            "    1  parse error: expected '}', found '='",
            "",
            "most frequent UNSUPPORTED reasons (\(ScriptReport.normalization)):",
            "    2  shell command `../common/defaults.sh` is not a setting TCPKit knows",
            "    1  setting net.ipv4.tcp_rmem=N N N | x is not known",
            "",
            "1 parse error (scripts the runner could not parse, counted in failed)",
            "1 passed, 3 failed, 3 unsupported",
        ])
        // One script: no table, just the totals.
        #expect(ScriptReport(entries: [entry("a/one.pkt", .pass)]).summaryLines() == ["1 passed, 0 failed, 0 unsupported"])
    }

    @Test("ten reasons at most, the most frequent first, ties in the reasons' order")
    func topTen() {
        var entries: [ScriptReport.Entry] = []
        for k in 0..<12 { for _ in 0...k { entries.append(entry("x/s.pkt", .unsupported("feature f\(k) missing"))) } }
        let top = ScriptReport(entries: entries).topReasons(failed: false)
        #expect(top.count == 10)
        #expect(top.first?.reason == "feature f11 missing" && top.first?.count == 12)
        #expect(top.last?.reason == "feature f2 missing" && top.last?.count == 3)
    }

    @Test("--format json: one object with every script, the folders, the totals and the top reasons")
    func json() throws {
        let data = Data(report.json().utf8)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let scripts = try #require(object["scripts"] as? [[String: Any]])
        #expect(scripts.count == 7)
        #expect(scripts[0]["outcome"] as? String == "pass" && scripts[0]["line"] is NSNull && scripts[0]["reason"] is NSNull)
        #expect(scripts[1]["path"] as? String == "/corpus/a/two.pkt" && scripts[1]["folder"] as? String == "a")
        #expect(scripts[1]["cause"] as? String == "behaviour" && scripts[1]["line"] as? Int == 12)
        #expect(scripts[1]["expected"] as? String == ". 1:1(0) ack 2" && scripts[1]["actual"] as? String == ". 1:1(0) ack 1")
        #expect(scripts[3]["cause"] as? String == "parse error")
        #expect(scripts[3]["reason"] as? String == "parse error: expected '}', found '='")
        #expect(scripts[4]["outcome"] as? String == "unsupported" && scripts[4]["line"] as? Int == 1)
        #expect(scripts[4]["reason"] as? String == "shell command `../common/defaults.sh` is not a setting TCPKit knows")
        let totals = try #require(object["totals"] as? [String: Int])
        #expect(totals == ["passed": 1, "failed": 3, "unsupported": 3, "parseErrors": 1])
        let folders = try #require(object["folders"] as? [[String: Any]])
        #expect(folders.map { $0["folder"] as? String } == ["a", "b", "b/c"])
        #expect(folders[1]["parseErrors"] as? Int == 1)
        let top = try #require(object["topReasons"] as? [String: [[String: Any]]])
        #expect(top["fail"]?.first?["reason"] as? String == "outbound packet: ack: expected N, actual N")
        #expect(top["fail"]?.first?["count"] as? Int == 2)
        #expect(top["unsupported"]?.count == 2)
    }

    @Test("--format markdown: the folder table, the reasons, every FAIL and UNSUPPORTED script")
    func markdown() {
        let md = report.markdown(title: "Linux corpus")
        #expect(md.hasPrefix("# Linux corpus\n\n7 scripts: 1 passed, 3 failed (1 of them parse errors), 3 unsupported.\n"))
        #expect(md.contains("| b/c | 0 | 0 | 2 | 0 |\n| **all** | 1 | 3 | 3 | 1 |"))
        #expect(md.contains("| 2 | outbound packet: ack: expected N, actual N |"))
        #expect(md.contains("## FAIL scripts"))
        #expect(md.contains("| `a/two.pkt` | 12 | outbound packet: ack: expected 2, actual 1 (expected `. 1:1(0) ack 2`, actual `. 1:1(0) ack 1`) |"))
        #expect(md.contains("| `b/four.pkt` | 3 | parse error: expected '}', found '=' |"))
        #expect(md.contains("## UNSUPPORTED scripts"))
        #expect(md.contains("| `b/c/seven.pkt` |  | setting net.ipv4.tcp_rmem=4096 87380 6291456 \\| x is not known |"))
        #expect(!md.contains("one.pkt"), "PASS scripts are not listed")
        // An option list is text, not an HTML tag; in a code span it stays as written.
        let options = ScriptReport(entries: [entry("o.pkt", .fail(ScriptFailure(line: 1, lineText: "", message: "options: expected <mss 1> `<x>`")))])
        #expect(options.markdown(title: "t").contains("options: expected &lt;mss 1&gt; `<x>`"))
    }
}
