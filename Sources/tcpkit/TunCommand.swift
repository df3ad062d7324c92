import ArgumentParser
import Dispatch
import Synchronization
import TCPCore
import TCPNet
import TCPTrace
import TCPWire
#if canImport(Glibc)
import Glibc
#endif

/// `tcpkit tun`: TCPKit on a real network, through a TUN interface to the kernel's own TCP.
struct TunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tun",
        abstract: "Run TCPKit on a TUN interface: serve (echo, discard, HTTP) or connect to the kernel's side.",
        discussion: """
            Creates the TUN interface (--device), gives the kernel's side of it --kernel-address
            (and --kernel-address6) and brings it up; TCPKit answers as --address (and --address6),
            TCP and ping. Needs root; without root or /dev/net/tun it stops with exit status 2.
            Example: `tcpkit tun serve --mode http --port 8080`, then `curl http://198.18.0.2:8080/`.
            """,
        subcommands: [TunServeCommand.self, TunConnectCommand.self]
    )
}

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

    @Option(help: ArgumentHelp("Stop after this many seconds (connections are closed cleanly).", valueName: "seconds"))
    var duration: Double?

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

    @Option(help: "Seed of the fault injection and of the stack's ISNs and ports (default: random).")
    var seed: UInt64?

    func validate() throws {
        guard IPv4Address(address) != nil else { throw ValidationError("--address must be an IPv4 address") }
        guard address6 == "none" || IPv6Address(address6) != nil else { throw ValidationError("--address6 must be an IPv6 address or 'none'") }
        guard kernelAddress.contains("/") else { throw ValidationError("--kernel-address needs a prefix length (198.18.0.1/24)") }
        if let duration, !(duration > 0) { throw ValidationError("--duration must be positive") }
        try LadderWidth.validate(width)
        for (name, v) in [("--loss", loss), ("--reorder", reorder), ("--duplicate", duplicate)] {
            _ = try SimulateCommand.parseProbability(v, name)
        }
    }

    var stackAddresses: [IPAddress] {
        [IPAddress(address)!] + (address6 == "none" ? [] : [IPAddress(address6)!])
    }
}

/// The running pieces of a `tcpkit tun` command.
final class TunSession: Sendable {
    let stack: NetworkStack
    let tun: TUNDevice
    let faulty: FaultyDevice?
    let output: TunOutput
    let seed: UInt64
    /// Connections held until `finish` has shut the stack down (see `keep`).
    private let kept = Mutex<[TCPConnection]>([])

    /// Keeps `c` referenced until the stack has shut down, so that shutdown closes it and waits
    /// for its closing handshake.
    func keep(_ c: TCPConnection) { kept.withLock { $0.append(c) } }

    /// Opens the device (exit status 2 when this machine or user cannot), configures the kernel's
    /// side, wraps the faults and starts the stack.
    init(_ o: TunOptions) throws {
        // SIGINT and SIGTERM must reach the handlers of `run` even when the parent started us
        // with them blocked; threads created from here on inherit this mask.
        var stopSignals = sigset_t()
        sigemptyset(&stopSignals)
        sigaddset(&stopSignals, SIGINT)
        sigaddset(&stopSignals, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &stopSignals, nil)
        tun = try Self.openDevice(o)
        seed = o.seed ?? UInt64.random(in: .min ... .max)
        let faults = FaultyDevice.Faults(loss: try SimulateCommand.parseProbability(o.loss, "--loss"),
                                         reorder: try SimulateCommand.parseProbability(o.reorder, "--reorder"),
                                         duplicate: try SimulateCommand.parseProbability(o.duplicate, "--duplicate"))
        faulty = faults.isNone ? nil : FaultyDevice(wrapping: tun, faults: faults, seed: seed)
        output = try TunOutput(trace: o.trace, pcap: o.pcap, local: "tcpkit", labels: o.address,
                               width: LadderWidth.columns(o.width, fd: 2, toFile: false))
        var hooks = NetworkStack.Hooks()
        if o.trace { hooks.trace = { [output] r in output.trace(r) } }
        if o.pcap != nil { hooks.packets = { [output] _, _, p in output.capture(p) } }
        let device: any PacketDevice = faulty ?? tun
        stack = try NetworkStack(device: device, addresses: o.stackAddresses, hooks: hooks, seed: o.seed.map { $0 ^ 0x5EED })
        if !faults.isNone {
            FileOutput.standardError.line("tcpkit: faults each way: loss \(faults.loss), reorder \(faults.reorder), duplicate \(faults.duplicate); seed \(seed)")
        }
    }

    /// The TUN interface with the kernel's side configured; on failure the error on standard
    /// error and exit status 2 (no root, no /dev/net/tun) or 1.
    static func openDevice(_ o: TunOptions) throws -> TUNDevice {
        let kernel = [o.kernelAddress] + (o.kernelAddress6 == "none" ? [] : [o.kernelAddress6])
        let opened = Result { () throws(TUNError) -> TUNDevice in
            let t = try TUNDevice(name: o.device)
            try KernelSide.configure(device: o.device, addresses: kernel)
            return t
        }
        switch opened {
        case .success(let t):
            return t
        case .failure(let e):
            FileOutput.standardError.line("tcpkit: error: \(e)")
            throw ExitCode(e.isUnavailable ? 2 : 1)
        }
    }

    /// Closes everything cleanly, then prints what happened on standard error.
    func finish() async {
        await stack.shutdown(gracePeriod: .seconds(2))
        kept.withLock { $0.removeAll() }
        let s = await stack.statistics()
        output.close()
        var line = "tcpkit: \(s.driver.packetsReceived) packets in, \(s.driver.packetsSent) out; \(s.driver.icmpEchoRequestsAnswered) pings answered"
        if let f = faulty {
            let a = f.sentCounters, b = f.receivedCounters
            line += "; faults out: \(a.lost) lost, \(a.reordered) reordered, \(a.duplicated) duplicated; in: \(b.lost) lost, \(b.reordered) reordered, \(b.duplicated) duplicated"
        }
        FileOutput.standardError.line(line)
    }

    static func monotonicNanoseconds() -> Int64 {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Int64(t.tv_sec) * 1_000_000_000 + Int64(t.tv_nsec)
    }

    /// Runs `body` until it returns, SIGINT or SIGTERM arrives, or `duration` passes; then
    /// `finish()`. A signal or the duration ends `body` by shutting the stack down (its
    /// listeners end and its connections close with FIN), which is how the body learns of it.
    func run(duration: Double?, _ body: @escaping @Sendable (TunSession) async throws -> Void) async throws {
        let stopped = Atomic<Bool>(false)
        let stoppedAt = Atomic<Int64>(0)
        // The first SIGINT/SIGTERM (or the end of --duration) closes everything cleanly; a second
        // signal at least a second later, or a clean stop that takes more than 10 s, ends the
        // process at once. (A Ctrl-C reaches every process of the terminal's foreground group, and
        // `timeout` passes its own on: the same keypress may arrive twice.)
        let stop: @Sendable () -> Void = { [self] in
            guard !stopped.exchange(true, ordering: .relaxed) else { return }
            stoppedAt.store(Self.monotonicNanoseconds(), ordering: .relaxed)
            Task { await self.stack.shutdown(gracePeriod: .seconds(2)) }
            DispatchQueue.global().asyncAfter(deadline: .now() + 10) {
                FileOutput.standardError.line("tcpkit: error: the stack did not stop within 10 s; exiting")
                _exit(1)
            }
        }
        let signals = [SIGINT, SIGTERM].map { sig -> DispatchSourceSignal in
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                if stopped.load(ordering: .relaxed) {
                    if Self.monotonicNanoseconds() - stoppedAt.load(ordering: .relaxed) >= 1_000_000_000 { _exit(128 + sig) }
                    return
                }
                stop()
            }
            source.resume()
            return source
        }
        let timer = duration.map { d in Task { try? await Task.sleep(for: .milliseconds(Int(d * 1000))); if !Task.isCancelled { stop() } } }
        defer {
            timer?.cancel()
            for s in signals { s.cancel() }
        }
        var failure: (any Error)? = nil
        do { try await body(self) } catch { failure = error }
        await finish()
        if let failure { throw failure }
    }
}

/// Where `--trace` and `--pcap` go: the ladder to standard error, row by row; the pcap file
/// record by record (written from the stack's loop, flushed at the end).
final class TunOutput: Sendable {
    private struct State: ~Copyable {
        var ladder: LiveLadder?
        var packetNumber = 0
        var pcap: UnsafeMutablePointer<FILE>?
        var record: [UInt8] = []
    }
    private let state: Mutex<State>
    let local: String

    init(trace: Bool, pcap: String?, local: String, labels: String, width: Int? = nil) throws {
        self.local = local
        var s = State()
        if trace {
            let color = isatty(2) == 1 && getenv("NO_COLOR") == nil
            let ladder = LiveLadder(hosts: [local, "peer"], labels: [local: labels], color: color, width: width)
            FileOutput.standardError.write(ladder.heading())
            s.ladder = ladder
        }
        if let pcap {
            guard let f = fopen(pcap, "wb") else { throw ValidationError("cannot open \(pcap) for writing") }
            var header: [UInt8] = []
            PcapWriter.appendFileHeader(to: &header)
            fwrite(header, 1, header.count, f)
            s.pcap = f
        }
        state = Mutex(s)
    }

    /// One engine trace record as ladder rows: our segments, state changes, drops and timers on
    /// our side; a segment we received as the peer's arrow, landing when it arrived.
    func trace(_ r: TraceRecord) {
        let text: String = state.withLock { s in
            guard s.ladder != nil else { return "" }
            s.packetNumber += 1
            let e: Timeline.Entry? = switch r.kind {
            case .state(let from, let to): .init(time: r.time, host: local, kind: .state(from: from, to: to))
            case .send(let seg): .init(time: r.time, host: local, kind: .send(packet: s.packetNumber, seg, fate: .inFlight))
            case .receive(let seg): .init(time: r.time, host: "peer", kind: .send(packet: s.packetNumber, seg, fate: .delivered(at: r.time)))
            case .drop(let reason, let seg): .init(time: r.time, host: local, kind: .drop(reason, seg))
            case .timer(let kind): .init(time: r.time, host: local, kind: .timer(kind))
            case .event, .info: nil
            }
            guard let e else { return "" }
            return s.ladder!.rows(for: e)
        }
        if !text.isEmpty { FileOutput.standardError.write(text) }
    }

    /// One packet through the device, stamped with the wall clock.
    func capture(_ packet: UnsafeRawBufferPointer) {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let t = Instant(nanoseconds: Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec))
        state.withLock { s in
            guard let f = s.pcap else { return }
            s.record.removeAll(keepingCapacity: true)
            PcapWriter.appendRecord(time: t, bytes: packet, to: &s.record)
            fwrite(s.record, 1, s.record.count, f)
        }
    }

    func close() {
        state.withLock { s in
            if let f = s.pcap { fclose(f) }
            s.pcap = nil
        }
    }
}

/// Unbuffered writes to a file descriptor (standard output or error), whole strings at a time.
struct FileOutput: Sendable {
    let fd: Int32
    static let standardOutput = FileOutput(fd: 1), standardError = FileOutput(fd: 2)

    func write(_ text: String) { write(Array(text.utf8)) }
    func line(_ text: String) { write(text + "\n") }

    func write(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress!, $0.count) }
            if n < 0 { if errno == EINTR { continue }; return }
            offset += n
        }
    }
}

// MARK: serve

struct TunServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Listen on the TUN interface and serve each connection: echo, discard or a small HTTP responder."
    )

    enum Mode: String, ExpressibleByArgument, CaseIterable {
        case echo, discard, http, iperf3
    }

    @Option(help: "echo (send back what arrives), discard (read and drop), http (answer GET with a short text) or iperf3 (an iperf3 server for `iperf3 -c`, TCP, client sending).")
    var mode: Mode = .http

    @Option(help: "TCP port to listen on.")
    var port: UInt16 = 8080

    @OptionGroup var options: TunOptions

    func run() async throws {
        let session = try TunSession(options)
        let listener = try session.stack.listen(port: port)
        FileOutput.standardError.line("tcpkit: \(mode.rawValue) server on \(options.address):\(port)\(options.address6 == "none" ? "" : " and [\(options.address6)]:\(port)") (interface \(options.device), kernel \(options.kernelAddress))")
        let mode = self.mode
        let registry = IperfServer.Registry()
        try await session.run(duration: options.duration) { _ in
            await withTaskGroup(of: Void.self) { group in
                do {
                    for try await connection in listener {
                        group.addTask { await Self.serve(connection, mode: mode, registry: registry) }
                    }
                } catch {
                    // The listener ends with .stackShutDown on SIGINT/SIGTERM/--duration.
                }
            }
        }
    }

    static func serve(_ c: TCPConnection, mode: Mode, registry: IperfServer.Registry) async {
        do {
            switch mode {
            case .echo:
                for try await chunk in c { try await c.write(chunk) }
            case .discard:
                for try await _ in c {}
            case .http:
                try await HTTPResponder.serve(c)
            case .iperf3:
                try await IperfServer.serve(c, registry: registry)
            }
            await c.close()
        } catch {
            await c.abort()
        }
    }
}

/// A tiny HTTP/1.1 responder (RFC 9112): GET and HEAD of any path get a short text/plain body;
/// other methods 405; a request head that does not end within 16 KiB, 400. Persistent
/// connections as RFC 9112 §9.3 says: HTTP/1.1 keeps the connection open unless the request says
/// `Connection: close`, HTTP/1.0 closes it unless it says `keep-alive`. Request bodies are not
/// read (GET and HEAD have none), so a request with one is answered and the connection closed.
enum HTTPResponder {
    static let maximumHeadBytes = 16 * 1024

    static func serve(_ c: TCPConnection) async throws {
        var buffer: [UInt8] = []
        var served = 0
        while true {
            // Read until the blank line that ends the head (RFC 9112 §2.1).
            var end = headEnd(buffer)
            while end == nil {
                guard buffer.count < maximumHeadBytes else {
                    try await c.write(response(status: "400 Bad Request", body: "bad request\n", keepAlive: false, head: false))
                    return
                }
                guard let chunk = try await c.read() else { return }   // peer closed: done
                buffer += chunk
                end = headEnd(buffer)
            }
            let head = String(decoding: buffer[..<end!], as: UTF8.self)
            buffer.removeFirst(end! + 4)
            served += 1
            let lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
            let requestLine = lines.first.map { $0.split(separator: " ") } ?? []
            guard requestLine.count == 3, requestLine[2].hasPrefix("HTTP/1.") else {
                try await c.write(response(status: "400 Bad Request", body: "bad request\n", keepAlive: false, head: false))
                return
            }
            let method = String(requestLine[0]), path = String(requestLine[1]), version = String(requestLine[2])
            var connectionTokens: [String] = []
            var hasBody = false
            for line in lines.dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                let name = line[..<colon].lowercased()
                let value = line[line.index(after: colon)...].trimmingCharacters(in: " \t").lowercased()
                if name == "connection" { connectionTokens += value.split(separator: ",").map { $0.trimmingCharacters(in: " \t") } }
                if name == "content-length", value != "0" { hasBody = true }
                if name == "transfer-encoding" { hasBody = true }
            }
            var keepAlive = version == "HTTP/1.1" ? !connectionTokens.contains("close") : connectionTokens.contains("keep-alive")
            if hasBody { keepAlive = false }
            switch method {
            case "GET", "HEAD":
                let body = "Hello from TCPKit, a TCP in Swift.\nYou asked for \(path) (request \(served) on this connection).\n"
                try await c.write(response(status: "200 OK", body: body, keepAlive: keepAlive, head: method == "HEAD"))
            default:
                try await c.write(response(status: "405 Method Not Allowed", body: "only GET and HEAD\n", keepAlive: keepAlive, head: false, allow: true))
            }
            if !keepAlive {
                // Our FIN after the response; the peer's FIN (or RST) ends it. Unread data is dropped
                // rather than answered with RST, so the response is not cut short.
                try await c.shutdown(.write)
                for try await _ in c {}
                return
            }
        }
    }

    /// Index of the CRLF CRLF that ends the head, if it is there.
    static func headEnd(_ b: [UInt8]) -> Int? {
        guard b.count >= 4 else { return nil }
        for i in 0...(b.count - 4) where b[i] == 13 && b[i + 1] == 10 && b[i + 2] == 13 && b[i + 3] == 10 { return i }
        return nil
    }

    static func response(status: String, body: String, keepAlive: Bool, head: Bool, allow: Bool = false) -> [UInt8] {
        var text = "HTTP/1.1 \(status)\r\nServer: tcpkit\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: \(body.utf8.count)\r\n"
        if allow { text += "Allow: GET, HEAD\r\n" }
        text += keepAlive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n"
        if !head { text += body }
        return Array(text.utf8)
    }
}

extension Substring {
    func trimmingCharacters(in set: String) -> String {
        var s = self
        while let f = s.first, set.contains(f) { s.removeFirst() }
        while let l = s.last, set.contains(l) { s.removeLast() }
        return String(s)
    }
}

// MARK: connect

struct TunConnectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "connect",
        abstract: "Connect to HOST PORT over the TUN interface: standard input goes to the connection, what comes back to standard output.",
        discussion: "At the end of standard input TCPKit half-closes (FIN) and keeps reading until the peer closes too."
    )

    @Argument(help: "The address to connect to (the kernel's side is 198.18.0.1 by default).")
    var host: String

    @Argument(help: "The port.")
    var port: UInt16

    @OptionGroup var options: TunOptions

    func validate() throws {
        guard IPAddress(host) != nil else { throw ValidationError("HOST must be an IPv4 or IPv6 address") }
    }

    func run() async throws {
        let session = try TunSession(options)
        let remote = SocketAddress(IPAddress(host)!, port)
        try await session.run(duration: options.duration) { session in
            let c: TCPConnection
            do {
                c = try await session.stack.connect(to: remote)
            } catch {
                FileOutput.standardError.line("tcpkit: connect to \(remote): \(error)")
                throw ExitCode(1)
            }
            let input = StandardInput()
            async let sent: Void = {
                do {
                    while let chunk = await input.next() { try await c.write(chunk) }
                    try await c.shutdown(.write)
                } catch {
                    FileOutput.standardError.line("tcpkit: sending: \(error)")
                }
            }()
            var failed = false
            do {
                for try await chunk in c { FileOutput.standardOutput.write(chunk) }
            } catch {
                FileOutput.standardError.line("tcpkit: receiving: \(error)")
                failed = true
            }
            if failed { input.stop() }
            await sent
            // Not c.close(): the stack's shutdown in `finish` closes the connection and waits for
            // its closing handshake (LAST-ACK → CLOSED when the peer closed first); a connection
            // given up before (closed, or released with its last reference) would be left to finish
            // after the process, and the interface, are gone. So the session holds it till then.
            session.keep(c)
            if failed { throw ExitCode(1) }
        }
    }
}

/// Standard input as chunks, read by a thread of its own (a blocking read must not hold one of
/// the few threads Swift's concurrency runs on); the thread reads the next chunk only after the
/// previous one was taken, so a slow connection holds the input back.
final class StandardInput: Sendable {
    private let stream: AsyncStream<[UInt8]>
    private let taken = DispatchSemaphore(value: 0)
    private let stopped = Atomic<Bool>(false)

    init() {
        let (stream, continuation) = AsyncStream.makeStream(of: [UInt8].self)
        self.stream = stream
        DispatchQueue(label: "tcpkit.stdin").async { [self] in
            var buffer = [UInt8](repeating: 0, count: 65536)
            while !self.stopped.load(ordering: .relaxed) {
                let n = buffer.withUnsafeMutableBytes { read(0, $0.baseAddress!, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                continuation.yield(Array(buffer[..<n]))
                self.taken.wait()
            }
            continuation.finish()
        }
    }

    func next() async -> [UInt8]? {
        var it = stream.makeAsyncIterator()
        let chunk = await it.next()
        if chunk != nil { taken.signal() }
        return chunk
    }

    func stop() {
        stopped.store(true, ordering: .relaxed)
        taken.signal()
    }
}
