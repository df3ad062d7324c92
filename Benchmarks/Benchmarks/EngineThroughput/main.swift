// engine-throughput: two TCPStacks back to back in one thread, no driver, no device: the same
// loop as the "Engines alone: 1 MiB one way" benchmark (NetBenchmarks), run for a fixed amount
// of data so that it can be timed against the kernel (Benchmarks/compare-kernel.sh, row "lo") and
// profiled (valgrind --tool=callgrind). Prints one machine-readable line:
//
//   bytes=… packets=… wall_seconds=… cpu_seconds=… user_seconds=… system_seconds=… mb_per_s=… gbit_per_cpu_second=…
//
//   engine-throughput [--mib N] [--warmup-mib N]     (defaults: 64 and 4)
//   engine-throughput --connections N                 (connect, accept, close both ends: per-connection work)
//
// With --connections it prints `connections=… cpu_seconds=… connections_per_cpu_second=…`: the
// client opens a connection, the server accepts it, both close, the segments go across; the clock
// moves 5 ms per connection so that TIME-WAIT (2·MSL) connections expire as they would.
//
// MiB/s and Gbit/s count payload bytes delivered to the receiving application; CPU seconds are
// getrusage(RUSAGE_SELF) user + system over the measured part (both engines share the thread, so
// this is sender and receiver together, like the kernel's figure over lo).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import BenchmarkSupport
import TCPCore
import TCPWire

#if canImport(Glibc)
let rusageSelf = RUSAGE_SELF.rawValue
#else
let rusageSelf = RUSAGE_SELF
#endif

func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }

func usage() -> Never {
    print("usage: engine-throughput [--mib N] [--warmup-mib N]")
    exit(2)
}

var mib = 64, warmup = 4, connections = 0
var arguments = CommandLine.arguments.dropFirst()
while let a = arguments.popFirst() {
    guard let v = arguments.popFirst().flatMap({ Int($0) }), v >= 0 else { usage() }
    switch a {
    case "--mib": mib = v
    case "--warmup-mib": warmup = v
    case "--connections": connections = v
    default: usage()
    }
}

/// Moves `mib` MiB through `pair`; returns the packets exchanged. A function of its own, outside
/// the main actor's top-level code, so that a profile can be limited to it
/// (`valgrind --tool=callgrind --toggle-collect='*measuredTransfer*'`).
@inline(never)
func measuredTransfer(_ pair: inout EnginePair, _ data: UnsafeRawBufferPointer, mib: Int) -> Int {
    var packets = 0
    for _ in 0..<mib { packets &+= pair.oneWay(data) }
    return packets
}

/// `n` connections opened and closed between two fresh stacks; returns the packets exchanged.
@inline(never)
func measuredConnections(_ n: Int) -> Int {
    var random = SplitMix64(seed: 5)
    let client = IPAddress("198.18.0.1")!, server = IPAddress("198.18.0.2")!
    var a = TCPStack(addresses: [client], random: &random)
    var b = TCPStack(addresses: [server], random: &random)
    let wire = UnsafeMutableRawBufferPointer.allocate(byteCount: 2048, alignment: 16)
    let listener = try! b.listen(port: 80, backlog: 1024)
    var now = Instant.zero, packets = 0
    for _ in 0..<n {
        now = now + .milliseconds(5)
        if let d = a.nextDeadline, d <= now { a.handleTimeout(now: now) }
        if let d = b.nextDeadline, d <= now { b.handleTimeout(now: now) }
        let c = try! a.connect(to: SocketAddress(server, 80), now: now)
        EnginePair.exchange(&a, &b, now, wire, nil, &packets)
        let s = try! b.accept(listener)!
        try! a.close(c, now: now)
        try! b.close(s, now: now)
        EnginePair.exchange(&a, &b, now, wire, nil, &packets)
        while a.pollEvent() != nil {}
        while b.pollEvent() != nil {}
    }
    return packets
}

if connections > 0 {
    var before = rusage(), after = rusage()
    getrusage(rusageSelf, &before)
    let packets = measuredConnections(connections)
    getrusage(rusageSelf, &after)
    let cpu = seconds(after.ru_utime) + seconds(after.ru_stime) - seconds(before.ru_utime) - seconds(before.ru_stime)
    print("connections=\(connections) packets=\(packets) cpu_seconds=\(f(cpu)) connections_per_cpu_second=\(cpu > 0 ? Int(Double(connections) / cpu) : 0)")
    exit(0)
}

let mebibyte = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
for i in 0..<mebibyte.count { mebibyte[i] = UInt8(truncatingIfNeeded: i &* 7 &+ i >> 11) }
var pair = EnginePair()
_ = measuredTransfer(&pair, UnsafeRawBufferPointer(mebibyte), mib: warmup)   // warm: rings allocated, cwnd grown
var before = rusage(), after = rusage()
var start = timespec(), end = timespec()
getrusage(rusageSelf, &before)
clock_gettime(CLOCK_MONOTONIC, &start)
let packets = measuredTransfer(&pair, UnsafeRawBufferPointer(mebibyte), mib: mib)
clock_gettime(CLOCK_MONOTONIC, &end)
getrusage(rusageSelf, &after)

let bytes = mib << 20
let wall = Double(end.tv_sec - start.tv_sec) + Double(end.tv_nsec - start.tv_nsec) / 1e9
let user = seconds(after.ru_utime) - seconds(before.ru_utime)
let system = seconds(after.ru_stime) - seconds(before.ru_stime)
let cpu = user + system
func f(_ x: Double) -> String { String(Int((x * 1e6).rounded())).paddedMicro }
extension String {
    /// "1234567" (millionths) → "1.234567".
    var paddedMicro: String {
        var digits = self, sign = ""
        if digits.hasPrefix("-") { sign = "-"; digits.removeFirst() }
        while digits.count < 7 { digits = "0" + digits }
        return sign + digits.dropLast(6) + "." + digits.suffix(6)
    }
}
print("bytes=\(bytes) packets=\(packets) wall_seconds=\(f(wall)) cpu_seconds=\(f(cpu)) user_seconds=\(f(user)) system_seconds=\(f(system))"
      + " mb_per_s=\(f(wall > 0 ? Double(bytes) / 1e6 / wall : 0)) gbit_per_cpu_second=\(f(cpu > 0 ? Double(bytes) * 8 / 1e9 / cpu : 0))")
