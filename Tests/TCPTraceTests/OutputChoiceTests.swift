import Foundation
import Testing
import TCPCore
import TCPSim
import TCPTrace

/// What the commands' output options decide, in the library: condensing (`--condense`), colour
/// (`--color`), and writing a file (`--output`, `--pcap`).
@Suite struct OutputChoiceTests {
    /// The sends of a timeline.
    static func sends(_ t: Timeline) -> Int { t.entries.filter { if case .send = $0.kind { true } else { false } }.count }

    @Test("--condense auto condenses above 60 segments; always and never are what they say")
    func condense() {
        let short = Scenario.classic.run(ScenarioOptions()).timeline, long = Scenario.bulk.run(ScenarioOptions()).timeline
        #expect(Self.sends(short) <= CondenseChoice.autoThreshold && Self.sends(long) > CondenseChoice.autoThreshold)
        #expect(CondenseChoice.auto.keep(for: short) == nil)
        #expect(CondenseChoice.auto.keep(for: long) == CondenseChoice.keep)
        #expect(CondenseChoice.always.keep(for: short) == CondenseChoice.keep)
        #expect(CondenseChoice.never.keep(for: long) == nil)
    }

    @Test("--color: always and never whatever the output; auto never into a file or a pipe")
    func color() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        #expect(ColorChoice.always.enabled(fd: fds[1], toFile: true))
        #expect(!ColorChoice.never.enabled(fd: 1, toFile: false))
        #expect(!ColorChoice.auto.enabled(fd: fds[1], toFile: false), "a pipe is not a terminal")
        #expect(!FileOutput(fd: fds[1]).isTerminal)
    }

    @Test("FileOutput writes a file whole, and says which path it cannot open")
    func writeFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tcpkit-output-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let bytes = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        try FileOutput.write(bytes, toFile: path)
        #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: path))) == bytes)
        let missing = "/nonexistent-\(UUID().uuidString)/out.txt"
        #expect(throws: FileOutput.FileError.open(path: missing)) { try FileOutput.write([1], toFile: missing) }
        #expect(FileOutput.FileError.open(path: missing).description == "cannot open \(missing) for writing")
    }
}
