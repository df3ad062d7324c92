import ArgumentParser
import TCPNet
import TCPNetApps
import TCPSim
import TCPTrace
import TCPWire

/// What `serve` and `connect` share: the interface, the addresses, the trace and the faults.
struct TunOptions: ParsableArguments {
    @Option(help: "Name of the TUN interface to create.")
    var device = "tcpkit0"

    @Option(help: "The kernel's address on the interface, with its prefix length.")
    var kernelAddress = "198.18.0.1/24"

    @Option(help: "The kernel's IPv6 address on the interface ('none': no IPv6).")
    var kernelAddress6 = "2001:2::1/64"

    @Option(help: "TCPKit's own IPv4 address (on the kernel's subnet).")
    var address = "198.18.0.2"

    @Option(help: "TCPKit's own IPv6 address ('none': no IPv6).")
    var address6 = "2001:2::2"

    @Option(help: ArgumentHelp("Stop after this long (e.g. 30s, 500ms; a bare number is seconds); connections are closed cleanly.", valueName: "time"))
    var duration: String?

    @Flag(help: "Draw every segment, state change, drop and timer as a ladder on standard error while it runs.")
    var trace = false

    @Option(help: ArgumentHelp("--trace: " + LadderWidth.help.replacingOccurrences(of: "Text ladder: ", with: ""), valueName: "columns"))
    var width: Int?

    @Option(help: ArgumentHelp("Write every packet through the TUN interface to this pcap file (raw IP, nanosecond wall-clock timestamps).", valueName: "file"))
    var pcap: String?

    @Option(help: ArgumentHelp("Our side drops this share of packets, each way (0.05 or 5%).", valueName: "p"))
    var loss = "0"

    @Option(help: ArgumentHelp("Our side holds back this share of packets until the next one has gone, each way.", valueName: "p"))
    var reorder = "0"

    @Option(help: ArgumentHelp("Our side sends this share of packets twice, each way.", valueName: "p"))
    var duplicate = "0"

    @Flag(help: "No TUN offloads: plain packets of at most the MTU each way, checksums computed and verified by TCPKit (by default the interface is opened with IFF_VNET_HDR and TUNSETOFFLOAD, and the kernel and TCPKit exchange TCP super-segments of up to 64 KiB with checksums left to the kernel).")
    var noOffload = false

    @Option(help: "Seed of the fault injection and of the stack's ISNs, ports and cookie secrets, for a reproducible run (not for production: the seed gives every secret). Default: random, secrets from the system's generator.")
    var seed: UInt64?

    @Option(help: ArgumentHelp("Engines, each on a thread and a queue of a multi-queue TUN interface of its own; a connection stays on the shard it started on (default 1: see docs/tun.md, \"Shards\").", valueName: "n"))
    var shards = 1

    func validate() throws {
        guard IPv4Address(address) != nil else { throw ValidationError("--address must be an IPv4 address") }
        guard address6 == "none" || IPv6Address(address6) != nil else { throw ValidationError("--address6 must be an IPv6 address or 'none'") }
        guard kernelAddress.contains("/") else { throw ValidationError("--kernel-address needs a prefix length (198.18.0.1/24)") }
        if let seconds = try durationSeconds, !(seconds > 0) { throw ValidationError("--duration must be positive") }
        try LadderWidth.validate(width)
        guard (1...64).contains(shards) else { throw ValidationError("--shards must be between 1 and 64") }
        _ = try faults
    }

    /// `--duration` in seconds.
    var durationSeconds: Double? {
        get throws {
            guard let duration else { return nil }
            let d = try ValidationError.wrapping { () throws(ValueParseError) in try Duration(parsing: duration, option: "--duration") }
            return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
        }
    }

    /// `--loss`, `--reorder` and `--duplicate`.
    var faults: FaultyDevice.Faults {
        get throws {
            try ValidationError.wrapping { () throws(ValueParseError) in
                FaultyDevice.Faults(loss: try Probability(parsing: loss, option: "--loss").value,
                                    reorder: try Probability(parsing: reorder, option: "--reorder").value,
                                    duplicate: try Probability(parsing: duplicate, option: "--duplicate").value)
            }
        }
    }

    var stackAddresses: [IPAddress] {
        [IPAddress(address)!] + (address6 == "none" ? [] : [IPAddress(address6)!])
    }

    /// The session these options describe, opened: the interface, its faults, trace and capture,
    /// and the stack. When the interface cannot be opened, the error on standard error and exit
    /// status 2 (no root, no /dev/net/tun) or 1.
    func session() throws -> TunSession {
        let faults = try faults
        let configuration = TunSession.Configuration(
            device: device,
            kernelAddresses: [kernelAddress] + (kernelAddress6 == "none" ? [] : [kernelAddress6]),
            addresses: stackAddresses, trace: trace, pcap: pcap, faults: faults, seed: seed,
            traceWidth: LadderWidth.columns(width, fd: 2, toFile: false), offload: !noOffload, shards: shards)
        do {
            return try TunSession(configuration)
        } catch TunSession.OpenError.device(let e) {
            FileOutput.standardError.line("tcpkit: error: \(e)")
            throw ExitCode(e.isUnavailable ? 2 : 1)
        } catch let e as TunSession.OpenError {
            throw ValidationError(e.description)
        }
    }
}
