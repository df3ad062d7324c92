import Testing
@testable import TCPCore

/// The TCB stays small: a million idle connections must fit in memory (rings are allocated lazily).
@Test func connectionSizeStaysSmall() {
    let size = MemoryLayout<Connection>.size
    print("MemoryLayout<Connection>.size = \(size)")
    #expect(size <= 1024)
}
