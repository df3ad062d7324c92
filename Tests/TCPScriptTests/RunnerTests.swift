import Testing
@testable import TCPScript

@Suite("Runner")
struct RunnerTests {
    @Test("passive open passes")
    func passive() {
        expectPass(passiveOpen)
    }
}
