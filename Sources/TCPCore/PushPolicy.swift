/// Where the engine sets PSH on data segments. RFC 9293 §3.9.1 (SEND) leaves PSH to the
/// implementation when the user interface has no PUSH flag: the last segment of what the
/// application handed over must carry it (RFC 1122 §4.2.2.2), any other segment may.
public enum PushPolicy: String, Sendable, Hashable, CaseIterable {
    /// PSH on the segment that empties the send queue (what BSD and TCPKit do).
    case queueEnd
    /// As Linux places it: on the segment that empties the queue, and on the last segment of each
    /// multi-segment packet a transmission pass builds (TCPStack+Push.swift).
    case linux
}

/// The packet a transmission pass is building under `PushPolicy.linux`: how many segments it still
/// takes and how many it has. Two bytes in the TCB.
struct PushPacket: Sendable {
    var left: UInt8 = 0
    var sent: UInt8 = 0
}
