import Foundation
import Testing
@testable import TCPScript

@Test func debugRun() {
    guard let p = ProcessInfo.processInfo.environment["TCPSCRIPT_DEBUG"] else { return }
    let verbose = ProcessInfo.processInfo.environment["TCPSCRIPT_VERBOSE"] != nil
    _ = ScriptSuite.run(paths: p.split(separator: ",").map(String.init), strict: ProcessInfo.processInfo.environment["TCPSCRIPT_STRICT"] != nil, verbose: verbose) { print($0) }
}
