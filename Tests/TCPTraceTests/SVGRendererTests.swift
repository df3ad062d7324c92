import Foundation
import Testing
import TestSupport
import TCPCore
import TCPSim
import TCPTrace
import TCPWire
#if canImport(FoundationXML)
import FoundationXML
#endif

/// `--format svg`: well-formed XML, one line per segment, crosses for lost ones, the states.
@Suite struct SVGRendererTests {
    /// What an XML parser finds in the drawing: each element's name and attributes, and the text.
    final class Reader: NSObject, XMLParserDelegate {
        var elements: [(name: String, attributes: [String: String])] = []
        var texts: [String] = []
        var error: Error?
        var inText = false
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
            elements.append((name, attributes))
            if name == "text" { texts.append(""); inText = true }
        }
        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            if name == "text" { inText = false }
        }
        func parser(_ parser: XMLParser, foundCharacters string: String) {
            if inText { texts[texts.count - 1] += string }
        }
        func parser(_ parser: XMLParser, parseErrorOccurred parseError: Error) { error = parseError }

        func elements(_ name: String, class cls: String) -> [[String: String]] {
            elements.filter { $0.name == name && ($0.attributes["class"] ?? "").split(separator: " ").contains(Substring(cls)) }.map(\.attributes)
        }
    }

    static func read(_ svg: String) throws -> Reader {
        let parser = XMLParser(data: Data(svg.utf8))
        let reader = Reader()
        parser.delegate = reader
        let ok = parser.parse()
        #expect(ok, "XML error: \(String(describing: reader.error ?? parser.parserError))")
        try #require(reader.error == nil)
        return reader
    }

    @Test(arguments: Scenario.all.map(\.name)) func wellFormedWithOneLinePerSegment(name: String) throws {
        let o = Observed(Scenario.named(name)!)
        let svg = SVGRenderer().render(o.timeline)
        #expect(svg.hasPrefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\""))
        let r = try Self.read(svg)
        #expect(r.elements.first?.name == "svg")
        #expect(!svg.contains("href=\"http"), "self-contained: nothing fetched")
        let segments = r.elements("line", class: "segment")
        #expect(segments.count == o.segments.count)
        let lost = o.segments.filter { $0.hasSuffix(" lost") }.count
        #expect(r.elements("line", class: "lost").count == lost)
        #expect(r.elements("path", class: "cross").count == lost)
        // Every state entered is written at the side of its host.
        let states = r.texts
        for host in ["client", "server"] {
            for t in o.transitions(host) {
                let to = String(t.split(separator: "→").last!)
                #expect(states.contains(to), "\(host) \(to)")
            }
        }
        // Time runs down: every delivered segment ends lower than it starts.
        for l in segments where !(l["class"] ?? "").contains("lost") && !(l["class"] ?? "").contains("in-flight") {
            #expect(Double(l["y2"]!)! > Double(l["y1"]!)!)
            #expect(l["x1"] != l["x2"])
        }
    }

    @Test func classicDrawing() throws {
        let o = Observed(.classic)
        let r = try Self.read(SVGRenderer().render(o.timeline))
        let hosts = r.elements("text", class: "host")
        #expect(hosts.count == 2)
        #expect(r.elements("line", class: "lifeline").count == 2)
        #expect(r.texts.contains("client") && r.texts.contains("server"))
        for s in ["SYN-SENT", "SYN-RECEIVED", "ESTABLISHED", "FIN-WAIT-1", "FIN-WAIT-2", "CLOSE-WAIT", "LAST-ACK", "TIME-WAIT", "CLOSED"] {
            #expect(r.texts.contains(s), "\(s)")
        }
        #expect(r.texts.contains { $0.hasPrefix("SYN seq=") && $0.hasSuffix(" (0)") })
        #expect(r.texts.contains { $0.hasPrefix("len=0 win=65535 mss=1460") })
        #expect(r.texts.contains { $0.hasPrefix("len=0 win=65535 mss=1460") && $0.contains("sackOK") })   // both SYNs offer SACK (RFC 2018 §2)
        #expect(r.texts.contains("time-wait timer fires"))
        // The lifelines are the hosts' x; each segment goes from one to the other.
        let xs = Set(r.elements("line", class: "lifeline").map { $0["x1"]! })
        for l in r.elements("line", class: "segment") { #expect(xs.contains(l["x1"]!) && xs.contains(l["x2"]!)) }
    }

    @Test func textIsEscaped() throws {
        var t = Timeline(hosts: ["a<b", "c&d"], labels: ["a<b": "\"x\" 'y'"])
        t.append(.init(time: .zero, host: "a<b", kind: .note("if x < 3 && y > 2\u{1}")))
        t.append(.init(time: .zero, host: "c&d", kind: .state(from: .closed, to: .listen)))
        let r = try Self.read(SVGRenderer().render(t))
        #expect(r.texts.contains("if x < 3 && y > 2 "))
        #expect(r.texts.contains("a<b") && r.texts.contains("c&d") && r.texts.contains("\"x\" 'y'"))
        #expect(r.texts.contains("LISTEN"))
    }

    @Test func longSideTextIsWrapped() throws {
        var t = Timeline(hosts: ["client", "server"])
        let words = (1...30).map { "word\($0)" }
        t.append(.init(time: .zero, host: "client", kind: .note(words.joined(separator: " "))))
        let r = try Self.read(SVGRenderer().render(t))
        let notes = r.elements("text", class: "note")
        #expect(notes.count > 3)
        let lines = r.texts.filter { $0.hasPrefix("word") }
        #expect(lines.joined(separator: " ") == words.joined(separator: " "))
        #expect(lines.allSatisfy { $0.count <= 40 })
        #expect(Set(notes.map { $0["y"]! }).count == notes.count, "one line each")
    }
}
