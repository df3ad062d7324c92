// device-path: the "TUN path" benchmark's loop (NetBenchmarks) as a plain executable, to find
// what allocates with valgrind: `valgrind --xtree-memory=full device-path --bursts N`.
// Prints `bursts=… replies=…`.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import BenchmarkSupport
import TCPNet
import TCPWire

var bursts = 1000
var arguments = CommandLine.arguments.dropFirst()
while let a = arguments.popFirst() {
    guard a == "--bursts", let v = arguments.popFirst().flatMap({ Int($0) }) else { print("usage: device-path [--bursts N]"); exit(2) }
    bursts = v
}
let path = try EchoPath()
let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 16)
var replies = 0
for _ in 0..<bursts { replies += path.burst(buffer) }
print("bursts=\(bursts) replies=\(replies)")
