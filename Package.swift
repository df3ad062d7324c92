// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "TCPKit",
    products: [
        .library(name: "TCPWire", targets: ["TCPWire"]),
        .library(name: "TCPCore", targets: ["TCPCore"]),
        .library(name: "TCPTrace", targets: ["TCPTrace"]),
        .library(name: "TCPSim", targets: ["TCPSim"]),
        .library(name: "TCPScript", targets: ["TCPScript"]),
        .library(name: "TCPNet", targets: ["TCPNet"]),
        .library(name: "TCPNetApps", targets: ["TCPNetApps"]),
        .executable(name: "tcpkit", targets: ["tcpkit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.65.0"),
        // `swift package generate-documentation --target TCPCore` (DocC); a plugin only: normal
        // builds compile nothing of it.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.4.0"),
    ],
    targets: [
        // Bytes <-> values: IPv4, IPv6, TCP and its options, checksums. No state.
        .target(name: "TCPWire"),
        // The sans-IO engine: no clock, no I/O, no randomness of its own.
        .target(name: "TCPCore", dependencies: ["TCPWire"]),
        // Renders what the engine and the simulator record: ladder text, JSON lines.
        .target(name: "TCPTrace", dependencies: ["TCPWire", "TCPCore"]),
        // Deterministic network: virtual clock, links, scripted faults, scenarios.
        .target(name: "TCPSim", dependencies: ["TCPWire", "TCPCore", "TCPTrace"]),
        // packetdrill-format scripts run against the engine in-process, on virtual time.
        .target(name: "TCPScript", dependencies: ["TCPWire", "TCPCore", "TCPTrace"]),
        // epoll, eventfd and timerfd, which Swift's Glibc module does not export (headers only).
        .target(name: "CTCPNetLinux"),
        // The real-network driver: one TCPStack on an event loop of its own (epoll, one thread;
        // it reads a TUN device itself), fed by a PacketDevice, and the async/await API
        // (NetworkStack, TCPConnection, TCPListener).
        .target(
            name: "TCPNet",
            dependencies: [
                "TCPWire", "TCPCore", "TCPTrace", "CTCPNetLinux",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        // What runs on TCPNet's sockets: echo, discard, HTTP and iperf3 servers, and the TUN session
        // of `tcpkit tun` (signals, trace, capture, statistics line).
        .target(name: "TCPNetApps", dependencies: ["TCPNet", "TCPCore", "TCPWire", "TCPTrace"]),
        .executableTarget(
            name: "tcpkit",
            dependencies: [
                "TCPWire", "TCPCore", "TCPTrace", "TCPSim", "TCPScript", "TCPNet", "TCPNetApps",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "TCPWireTests", dependencies: ["TCPWire"]),
        .testTarget(name: "TCPCoreTests", dependencies: ["TCPCore", "TCPWire"]),
        // What the test targets share: a scenario's run read back (`Observed`), pcap files and
        // tshark, the external programs some tests need (skipped, with the reason, where one is
        // missing; a failure under CI), and the built `tcpkit` binary.
        .target(name: "TestSupport", dependencies: ["TCPSim", "TCPTrace", "TCPCore", "TCPWire"], path: "Tests/TestSupport"),
        .testTarget(name: "TCPSimTests", dependencies: ["TCPSim", "TCPTrace", "TCPCore", "TCPWire", "TestSupport"]),
        .testTarget(name: "TCPTraceTests", dependencies: ["TCPTrace", "TCPSim", "TCPCore", "TCPWire", "TestSupport"]),
        // What only the binary shows: exit statuses, standard output against standard error, a
        // terminal; and the command lines the docs show, parsed by the command's own declarations.
        .testTarget(name: "tcpkitTests", dependencies: ["tcpkit", "TCPSim", "TCPTrace", "TCPCore", "TCPWire", "TestSupport"]),
        // The conformance scripts live in Tests/Conformance; the tests find them by path.
        .testTarget(
            name: "TCPNetTests",
            dependencies: [
                "TCPNet", "TCPSim", "TCPCore", "TCPWire",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        // The applications over two stacks joined in memory (no root needed).
        .testTarget(name: "TCPNetAppsTests", dependencies: ["TCPNetApps", "TCPNet", "TCPCore", "TCPTrace", "TCPWire"]),
        .testTarget(name: "TCPScriptTests", dependencies: ["TCPScript", "TCPCore", "TCPWire"]),
        // Interoperation with the Linux kernel's TCP, curl, Python, nc and ping over a TUN device
        // in network namespaces of their own: needs root and /dev/net/tun (CI has both).
        .testTarget(name: "TCPInteropTests", dependencies: ["TCPNet", "TCPCore", "TCPWire"]),
    ],
    swiftLanguageModes: [.v6]
)
