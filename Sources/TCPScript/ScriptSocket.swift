import TCPCore

/// A script's socket, as packetdrill tracks it: its state in the handshake bookkeeping, its
/// live ports and the sequence-number offsets, plus what the socket layer keeps (flags, options).
final class ScriptSocket {
    enum State {
        case new, listening
        case passivePacketReceived, passiveSynAckSent, passiveSynAcked
        case activeConnecting, activeSynSent, activeSynAcked
    }
    var state: State = .new
    var localPort: UInt16?
    var remotePort: UInt16?
    var scriptLocalISN: UInt32 = 0
    /// The sequence number of the script's SYN (or SYN-ACK): later inbound sequence numbers and
    /// outbound ACKs are relative to it.
    var scriptRemoteISN: UInt32?
    /// Whether the script writes them so (packetdrill) or literally (TCPKit's own scripts); nil
    /// until a packet tells (Run+Packets.swift `inject`, `decideRemoteNumbering`).
    var remoteSeqRelative: Bool?
    var liveLocalISN: UInt32 = 0
    /// Whether the script writes the local side's numbers after the SYN relative to the local ISN
    /// (packetdrill: `> S. 1234:1234(0)` then `< . 1:1(0) ack 1`, socket.h's non-SYN offset is the
    /// live ISN alone) or in the SYN's space (TCPKit's own `> S. 1000:1000(0)`, `ack 1001`); nil
    /// until a non-SYN line tells, and only asked when the script's ISN is above 1.
    var localSeqRelative: Bool?
    /// Outbound TS val, script value -> live value (packetdrill's ts_val_map).
    var tsValMap: [UInt32: UInt32] = [:]
    var firstTS: (script: UInt32, live: UInt32)?

    var listener: ListenerID?
    /// Connections poll() took from the listener's queue to see it was not empty; accept() gives
    /// them out first.
    var preAccepted: [ConnectionID] = []
    var connection: ConnectionID?
    var boundPort: UInt16?
    var nonblocking = false
    var linger: (on: Bool, seconds: Int64)?
    /// The connection's error was reported to the application once (Linux reports sk_err once).
    var errorConsumed = false
    var readShutdown = false
    var writeShutdown = false
    var reuseAddress: Int64 = 0
    var noDelay: Int64 = 0
    /// SO_OOBINLINE as set (urgent data is inline in TCPKit either way).
    var oobInline = false
    /// TCP options set with setsockopt (TCP_NODELAY, SO_KEEPALIVE, TCP_KEEP*, TCP_USER_TIMEOUT);
    /// nil until the script sets one. A listening socket passes its options to accepted ones.
    var tcpOptions: ConnectionOptions?
    /// TCP Fast Open: TCP_FASTOPEN's queue length, TCP_FASTOPEN_CONNECT, TCP_FASTOPEN_KEY (Run+FastOpen.swift).
    var fastOpenQueue: Int?
    var fastOpenConnect = false
    var fastOpenKey: FastOpenKey?
    // Issue 17 calls (Run+Poll.swift): TCP_NOTSENT_LOWAT, TCP_INQ, TCP_CONGESTION as set, and
    // Linux's SOCK_NOSPACE (a write found the buffer full: the next write-space wakeup is due).
    var notSentLowat: Int64?
    var inq = false
    var congestion: String?
    var noSpace = false
    /// SO_ZEROCOPY, SO_TIMESTAMPING and the error queue they feed (Run+ErrorQueue.swift).
    var errorQueue = SocketErrorQueue()
    /// The live sequence number and payload length of the last outbound segment a script line
    /// matched: what an icmp line without `[start:end(len)]` quotes (Run+ICMPQuote.swift).
    var lastOutbound: (seq: UInt32, length: Int)?

    /// Live local sequence number -> script space (`syn`: the number is on a SYN or SYN-ACK).
    func scriptSeq(_ live: UInt32, syn: Bool = false) -> UInt32 {
        live &- liveLocalISN &+ (syn || localSeqRelative != true ? scriptLocalISN : 0)
    }
    /// Script ACK (of our data) -> live (`syn`: the ACK is on a SYN-ACK).
    func liveAck(_ script: UInt32, syn: Bool = false) -> UInt32 {
        script &+ liveLocalISN &- (syn || localSeqRelative != true ? scriptLocalISN : 0)
    }
    /// Decides `localSeqRelative` from a non-SYN line's number in the local space: below the
    /// script's ISN in sequence space means relative (a literal one is at or past it).
    func decideLocalNumbering(_ scriptNumber: UInt32) {
        guard localSeqRelative == nil, scriptLocalISN > 1 else { return }
        localSeqRelative = Int32(bitPattern: scriptNumber &- scriptLocalISN) < 0
    }
}
