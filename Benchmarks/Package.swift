// swift-tools-version: 6.3
// Benchmarks live in their own package so that normal builds stay fast.
// Run from this folder: `swift package benchmark` (see ../docs/measurements.md).
import PackageDescription

let package = Package(
    name: "TCPKitBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "TCPKit", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-nio", from: "2.65.0"),
    ],
    targets: [
        // What the benchmarks and the plain executables below share: two engines back to back
        // (EnginePair), a socketpair packet device (SocketPairDevice) and the TUN-path echo loop.
        .target(
            name: "BenchmarkSupport",
            dependencies: [
                .product(name: "TCPCore", package: "TCPKit"),
                .product(name: "TCPNet", package: "TCPKit"),
                .product(name: "TCPWire", package: "TCPKit"),
            ],
            path: "BenchmarkSupport"
        ),
        .executableTarget(
            name: "EngineBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "TCPCore", package: "TCPKit"),
                .product(name: "TCPWire", package: "TCPKit"),
            ],
            path: "Benchmarks/EngineBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // The driver: two NetworkStacks (each on its own event loop thread) over a device pair.
        .executableTarget(
            name: "NetBenchmarks",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "TCPNet", package: "TCPKit"),
                .product(name: "TCPCore", package: "TCPKit"),
                .product(name: "TCPWire", package: "TCPKit"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            path: "Benchmarks/NetBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // engine-throughput: the engines-alone loop for a fixed amount of data; one line of
        // figures (bytes, CPU seconds, Gbit/s per CPU second) for compare-kernel.sh and callgrind.
        .executableTarget(
            name: "engine-throughput",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "TCPCore", package: "TCPKit"),
                .product(name: "TCPWire", package: "TCPKit"),
            ],
            path: "Benchmarks/EngineThroughput"
        ),
        // device-path: the TUN-path benchmark's loop as a plain executable, for valgrind.
        .executableTarget(
            name: "device-path",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "TCPNet", package: "TCPKit"),
                .product(name: "TCPWire", package: "TCPKit"),
            ],
            path: "Benchmarks/DevicePath"
        ),
    ]
)
