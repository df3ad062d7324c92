import TCPCore
import TCPWire

/// The options of `tcpkit simulate` as text, one field per option, in the spelling they were
/// given: what a run is built from (`options(seed:)`) and what its replay command repeats
/// (`replayArguments(seed:)`). Every time takes a unit (`10ms`, `0.1s`, `500us`, `250ns`); a bare
/// number is seconds.
///
/// A test can build one, change a field and run it (or sweep it, `Simulation.sweep`) as the
/// command would, without the binary.
public struct SimulationArguments: Sendable, Hashable {
    /// Where the link and faults come from.
    public enum Faults: String, Sendable, Hashable, CaseIterable {
        /// From these arguments.
        case given
        /// Each seed chooses its own transfer, link and faults (`SimulationOptions.random(seed:)`).
        case random
    }

    /// Bytes to send each way (`ByteCount`).
    public var bytes = "1MiB"
    public var both = false
    /// One-way delay and the further random delay per packet (times).
    public var delay = "25ms"
    public var jitter = "0"
    /// Bottleneck rate (`Rate`) and drop-tail queue (`LinkModel.QueueLimit`); nil: none.
    public var bandwidth: String? = nil
    public var queue: String? = nil
    /// Random faults: probabilities, both ways or `DIR@p` for one (`LinkModel.Direction`).
    public var loss: [String] = []
    public var duplicate: [String] = []
    public var reorder: [String] = []
    public var corrupt: [String] = []
    /// Windows (`[dir@]start..end`, `LinkModel.Outage`) of the random faults, of blackholes
    /// (client→server unless `DIR@` says otherwise) and of partitions (both ways).
    public var faultsDuring: [String] = []
    public var blackhole: [String] = []
    public var partition: [String] = []
    /// When every fault ends (a time), and how long after it (or the start) everything must be over.
    public var healAt: String? = nil
    public var liveness = "600"
    /// Send and receive buffer of each connection, fixed (`ByteCount`, at least 1024; setting a
    /// configuration's size fixes it); without it the buffers start at the engine's default sizes
    /// and auto-tune.
    public var buffer: String? = nil
    public var congestionControl: CongestionControlAlgorithm = .cubic
    /// Scripted faults (`FaultScript` rules, tried in order before the link's own).
    public var script: [String] = []
    public var faults: Faults = .given
    public var ipv6 = false
    /// The replay command ends in `--format json` (a run whose output is JSON).
    public var json = false
    /// The path MTU of both directions (bytes, at least 68; nil: none) and whether the link
    /// answers a packet too big with ICMP (`LinkModel.pathMTU`, `sendsPacketTooBig`).
    public var pathMTU: String? = nil
    public var icmp = true
    /// ECN (RFC 3168): both stacks ask for it and every link's queue marks CE from
    /// `ecnThreshold` (default `LinkModel.defaultECNThreshold`) instead of dropping.
    public var ecn = false
    public var ecnThreshold: String? = nil

    public init() {}

    /// The options that `faults: .random` would silently override, by their option names: an
    /// error to give (`check()`).
    public var overriddenByRandomFaults: [String] {
        let d = SimulationArguments()
        var given: [String] = []
        if bytes != d.bytes { given.append("--bytes") }
        if both { given.append("--both") }
        if ipv6 { given.append("--ipv6") }
        if delay != d.delay { given.append("--delay") }
        if jitter != d.jitter { given.append("--jitter") }
        if bandwidth != nil { given.append("--bandwidth") }
        if queue != nil { given.append("--queue") }
        if buffer != nil { given.append("--buffer") }
        if healAt != nil { given.append("--heal-at") }
        if pathMTU != nil { given.append("--path-mtu") }
        if !icmp { given.append("--no-icmp") }
        if ecn { given.append("--ecn") }
        if ecnThreshold != nil { given.append("--ecn-threshold") }
        for (name, values) in [("--loss", loss), ("--duplicate", duplicate), ("--reorder", reorder), ("--corrupt", corrupt),
                               ("--faults-during", faultsDuring), ("--blackhole", blackhole), ("--partition", partition)]
            where !values.isEmpty { given.append(name) }
        return given
    }

    /// Reads every argument (as `options(seed:)` does) and refuses contradictions: with random
    /// faults, any option a seed would override.
    public func check() throws(SimulationArguments.Error) {
        if faults == .random {
            let given = overriddenByRandomFaults
            if !given.isEmpty { throw .overriddenByRandomFaults(given) }
        }
        do {
            _ = try options(seed: 1)
        } catch {
            throw .value(error)
        }
    }

    /// What `check()` refuses.
    public enum Error: Swift.Error, Equatable, Sendable, CustomStringConvertible {
        case value(ValueParseError)
        case overriddenByRandomFaults([String])

        public var description: String {
            switch self {
            case .value(let e): e.description
            case .overriddenByRandomFaults(let given):
                "--faults random picks the transfer, link and faults from each seed; drop \(given.joined(separator: ", ")) (or use --faults given)"
            }
        }
    }

    /// The run of `seed`: the transfer, both links with their faults, the phases and the stacks'
    /// configuration. The scripted faults are a fresh `FaultScript` (its rules count their uses).
    public func options(seed: UInt64) throws(ValueParseError) -> SimulationOptions {
        let rule: (@Sendable (WirePacket) -> Fault)?
        do {
            rule = script.isEmpty ? nil : try FaultScript.parse(script).rule
        } catch {
            throw .script(option: "--script", reason: "\(error)")
        }
        if faults == .random {
            var o = SimulationOptions.random(seed: seed)
            o.configuration.congestionControl = congestionControl
            o.faultRule = rule
            return o
        }
        var o = SimulationOptions()
        o.configuration.congestionControl = congestionControl
        o.seed = seed
        o.bytes = try ByteCount(parsing: bytes, option: "--bytes").bytes
        o.both = both
        o.ipv6 = ipv6
        var link = LinkModel(delay: try Duration(parsing: delay, option: "--delay"))
        link.jitter = try Duration(parsing: jitter, option: "--jitter")
        link.bandwidthBitsPerSecond = try bandwidth.map { s throws(ValueParseError) in try Rate(parsing: s, option: "--bandwidth").bitsPerSecond }
        link.queue = try queue.map { s throws(ValueParseError) in try LinkModel.QueueLimit(parsing: s, option: "--queue") }
        var forward = link, reverse = link
        /// Applies `change` to the links `direction` names.
        func each(_ direction: LinkModel.Direction, _ change: (inout LinkModel) -> Void) {
            if direction != .s2c { change(&forward) }
            if direction != .c2s { change(&reverse) }
        }
        // Later values override earlier ones for the directions they name.
        for (name, values, field) in [("--loss", loss, \LinkModel.loss), ("--duplicate", duplicate, \.duplicate),
                                      ("--reorder", reorder, \.reorder), ("--corrupt", corrupt, \.corrupt)] {
            for v in values {
                let (direction, rest) = try LinkModel.Direction.split(v, default: .both, option: name)
                let p = try Probability(parsing: rest, option: name).value
                each(direction) { $0[keyPath: field] = p }
            }
        }
        for w in faultsDuring {
            let (direction, rest) = try LinkModel.Direction.split(w, default: .both, option: "--faults-during")
            let window = try LinkModel.Outage(parsing: rest, option: "--faults-during")
            each(direction) {
                $0.faultsStart = window.start
                $0.faultsEnd = window.end == .forever ? nil : window.end
            }
        }
        for b in blackhole {
            let (direction, rest) = try LinkModel.Direction.split(b, default: .c2s, option: "--blackhole")
            let window = try LinkModel.Outage(parsing: rest, option: "--blackhole")
            each(direction) { $0.outages.append(window) }
        }
        for p in partition {
            let window = try LinkModel.Outage(parsing: p, option: "--partition")
            each(.both) { $0.outages.append(window) }
        }
        if let pathMTU {
            let n = try ByteCount(parsing: pathMTU, option: "--path-mtu").bytes
            guard n >= 68 else { throw .tooSmall(option: "--path-mtu", minimum: 68, unit: "bytes") }
            each(.both) { $0.pathMTU = n; $0.sendsPacketTooBig = icmp }
        }
        if ecn {
            let given = try ecnThreshold.map { s throws(ValueParseError) in try LinkModel.QueueLimit(parsing: s, option: "--ecn-threshold") }
            each(.both) { $0.ecnMarkThreshold = given ?? LinkModel.defaultECNThreshold(queue: $0.queue) }
            o.configuration.ecn = .on
        }
        o.forward = forward
        o.reverse = reverse
        o.faultRule = rule
        o.healAt = try healAt.map { s throws(ValueParseError) in try Instant(parsing: s, option: "--heal-at") }
        let bound = try Duration(parsing: liveness, option: "--liveness")
        guard bound > .zero else { throw .notPositive(option: "--liveness") }
        o.livenessBound = bound
        if let buffer {
            let n = try ByteCount(parsing: buffer, option: "--buffer").bytes
            guard n >= 1024 else { throw .tooSmall(option: "--buffer", minimum: 1024, unit: "bytes") }
            o.configuration.sendBufferBytes = n
            o.configuration.receiveBufferBytes = n
        }
        return o
    }
}
