import TCPCore
import TCPTrace
import TCPWire

/// The applications on a scenario's hosts, written once for all scenarios.
///
/// By default a host accepts every connection on its listener, reads whatever arrives, closes its
/// handle on the next turn of its event loop once the peer has closed (so the stack has already
/// ACKed the FIN: the four-way close), and when a connection fails it notes the error a socket
/// program would see and closes the handle. Scenarios change the steps they are about through the
/// hooks and drive the hosts with the actions; every action is noted in the timeline.
final class ScenarioApp {
    unowned let net: SimulatedNetwork
    private(set) var listener: ListenerID?
    /// Each host's current connection.
    private(set) var connection: [String: ConnectionID] = [:]
    /// What each host has read on its current connection.
    private(set) var received: [String: [UInt8]] = [:]
    /// Each host's local socket of its latest connection.
    private(set) var local: [String: SocketAddress] = [:]
    /// Hosts whose application reads data as soon as it arrives; the others leave it in the
    /// receive buffer (and the window shrinks).
    var reading: Set<String> = ["client", "server"]
    /// Connections that completed the handshake (for the wording of errors).
    private var connected: Set<Key> = []
    /// Connections whose handle the application has given up.
    private var released: Set<Key> = []

    /// A host's handshake completed.
    var onEstablished: [String: (ScenarioApp) -> Void] = [:]
    /// A host read something; called with all it has read on its current connection.
    var onRead: [String: (ScenarioApp, [UInt8]) -> Void] = [:]
    /// The peer's FIN reached a host (after what came before it was read). Default: `closeSoon`.
    var onPeerClosed: [String: (ScenarioApp) -> Void] = [:]
    /// A host's connection reached CLOSED through the normal close sequence.
    var onClosed: [String: (ScenarioApp) -> Void] = [:]

    private struct Key: Hashable { var host: String; var id: ConnectionID }

    /// The scenario's scripted faults (the simulator's scripted mode); installed as the
    /// network's fault rule.
    let faults = FaultScript()

    init(_ net: SimulatedNetwork) {
        self.net = net
        net.onEvent = { [self] _, host, event in handle(host, event) }
        net.faultRule = faults.rule
    }

    // MARK: Actions

    func listen(_ host: String = "server", port: UInt16 = Scenario.serverPort) {
        listener = try! net.listen(host, port: port)
    }

    /// The usual start: the server listens on port 80 and the client connects at 0 s.
    func start() {
        listen()
        connect(at: .zero)
    }

    /// connect() from `host` to `peer` at `time`; labels both columns with their sockets.
    func connect(_ host: String = "client", to peer: String = "server", port: UInt16 = Scenario.serverPort,
                 localPort: UInt16? = nil, at time: Instant) {
        net.schedule(at: time) { [self] _ in connectNow(host, to: peer, port: port, localPort: localPort) }
    }

    func connectNow(_ host: String = "client", to peer: String = "server", port: UInt16 = Scenario.serverPort,
                    localPort: UInt16? = nil) {
        let remote = SocketAddress(net.address(of: peer), port)
        net.note(host, localPort.map { "connect() from port \($0)" } ?? "connect()")
        let c = try! net.withStack(host) { s, now in try s.connect(to: remote, localPort: localPort, now: now) }
        adopt(host, c)
        if let info = net.withStack(host, { s, _ in s.info(of: c) }) {
            local[host] = info.local
            net.label(host, info.local.description)
        }
        net.label(peer, remote.description)
    }

    /// Sends all of `bytes` (the send buffer must take them).
    func send(_ host: String, _ bytes: [UInt8], _ what: String) {
        net.note(host, "send \(bytes.count) bytes: \(what)")
        let c = connection[host]!
        let n = try! net.withStack(host) { s, now in try s.send(c, bytes, now: now) }
        precondition(n == bytes.count, "\(host)'s send buffer took only \(n) of \(bytes.count) bytes")
    }

    /// shutdown(): CLOSE in RFC 9293's sense, a FIN after the data; the host may still read.
    func shutdown(_ host: String, _ text: String = "shutdown(): no more to send, FIN") {
        net.note(host, text)
        let c = connection[host]!
        try! net.withStack(host) { s, now in try s.shutdown(c, now: now) }
    }

    /// close(): CLOSE, and the handle is given up.
    func close(_ host: String, _ text: String = "close()") {
        net.note(host, text)
        let c = connection[host]!
        released.insert(Key(host: host, id: c))
        try! net.withStack(host) { s, now in try s.close(c, now: now) }
    }

    /// Closes on the next turn of the event loop: whatever the stack had to send (the ACK of a
    /// FIN) has gone out first. Nothing to do if the application has closed already.
    func closeSoon(_ host: String, _ text: String = "end of stream; close()") {
        guard let c = connection[host], !released.contains(Key(host: host, id: c)) else { return }
        net.schedule(after: .zero) { [self] _ in close(host, text) }
    }

    /// ABORT (RFC 9293 §3.10.5).
    func abort(_ host: String, _ text: String = "abort(): RST, the connection is dropped") {
        net.note(host, text)
        let c = connection[host]!
        released.insert(Key(host: host, id: c))
        try! net.withStack(host) { s, now in try s.abort(c, now: now) }
    }

    /// Reads everything buffered, notes it and calls the host's `onRead`.
    func read(_ host: String) {
        guard let c = connection[host] else { return }
        var total = 0
        while let chunk = try? net.withStack(host, { s, now in try s.receive(c, now: now) }), !chunk.isEmpty {
            received[host, default: []] += chunk
            total += chunk.count
        }
        guard total > 0 else { return }
        net.note(host, "read \(total) bytes")
        onRead[host]?(self, received[host]!)
    }

    /// Runs `action` at virtual time `time`.
    func at(_ time: Instant, _ action: @escaping (ScenarioApp) -> Void) {
        net.schedule(at: time) { [self] _ in action(self) }
    }

    /// Runs `action` `delay` from now (`.zero`: on the next turn, after the stacks' output).
    func after(_ delay: Duration, _ action: @escaping (ScenarioApp) -> Void) {
        net.schedule(after: delay) { [self] _ in action(self) }
    }

    // MARK: Events

    private func release(_ host: String, _ c: ConnectionID) {
        guard released.insert(Key(host: host, id: c)).inserted else { return }
        try! net.withStack(host) { s, now in try s.close(c, now: now) }
    }

    private func adopt(_ host: String, _ c: ConnectionID) {
        connection[host] = c
        received[host] = []
    }

    private func handle(_ host: String, _ event: TCPEvent) {
        switch event {
        case .connectionAvailable(let l):
            while let c = try! net.withStack(host, { s, _ in try s.accept(l) }) {
                adopt(host, c)
                net.note(host, "accept()")
            }
        case .established(let c):
            connected.insert(Key(host: host, id: c))
            if c == connection[host] { onEstablished[host]?(self) }
        case .readable(let c):
            if c == connection[host], reading.contains(host) { read(host) }
        case .peerClosed(let c):
            guard c == connection[host] else { return }
            if reading.contains(host) { read(host) }
            if let hook = onPeerClosed[host] { hook(self) } else { closeSoon(host) }
        case .reset(let c, _), .timedOut(let c):
            // What the application sees on its next call, then it gives the handle up.
            let error = net.withStack(host) { s, _ in s.info(of: c)?.error }
            let call = connected.contains(Key(host: host, id: c)) ? "recv()" : "connect()"
            net.note(host, "\(call) fails: \(error.map { "\($0)" } ?? "error"); close()")
            release(host, c)
        case .closed(let c):
            // The normal close sequence ended; release the handle if the application still holds it.
            release(host, c)
            if c == connection[host] { onClosed[host]?(self) }
        case .writable, .softError, .negativeAdvice, .urgentData:
            break
        }
    }
}

extension ScenarioApp {
    /// Who closes after the request and the answer.
    enum Closer { case client, server, neither }

    /// The exchange most scenarios carry: the client sends `request` once connected (riding on the
    /// handshake's ACK, or just after it with `requestAfterACK`), the server answers once the
    /// whole request is in, and then `closer` closes; the other side closes when it sees the FIN.
    func exchange(closer: Closer = .client, request: [UInt8] = Scenario.request, answer: [UInt8] = Scenario.answer,
                  requestAfterACK: Bool = false) {
        onEstablished["client"] = { app in
            if requestAfterACK {
                app.after(.zero) { $0.send("client", request, "the request") }
            } else {
                app.send("client", request, "the request")
            }
        }
        onRead["server"] = { app, data in
            guard data.count == request.count else { return }
            app.send("server", answer, "the answer")
            if closer == .server { app.close("server", "close(): FIN") }
        }
        onRead["client"] = { app, data in
            guard data.count == answer.count, closer == .client else { return }
            app.shutdown("client")
        }
    }
}

extension ScenarioApp {
    /// The exchange with nobody closing; instead `action` runs `delay` after the client has read
    /// the answer.
    func exchange(thenAfter delay: Duration, _ action: @escaping (ScenarioApp) -> Void) {
        exchange(closer: .neither)
        onRead["client"] = { app, data in
            if data.count == Scenario.answer.count { app.after(delay, action) }
        }
    }
}
