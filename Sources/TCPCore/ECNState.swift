import TCPWire

/// A connection's Explicit Congestion Notification state (RFC 3168; TCPStack+ECN.swift). Six
/// bytes with 2-byte alignment, so that it fits padding the TCB already had (after
/// `probePending`): ECN costs an idle connection nothing.
struct ECNState {
    struct Flags: OptionSet {
        var rawValue: UInt8
        /// `mode` came from `ConnectionOptions.ecn` (reported back by `Connection.options`).
        static let overridden = Flags(rawValue: 1 << 0)
        /// Our SYN was an ECN-setup SYN (ECE and CWR, §6.1.1).
        static let requested = Flags(rawValue: 1 << 1)
        /// Both sides agreed: data segments are ECN-capable, CE is echoed, ECE answered.
        static let active = Flags(rawValue: 1 << 2)
        /// Receiver: a CE mark arrived and no CWR since; every ACK carries ECE (§6.1.3).
        static let echo = Flags(rawValue: 1 << 3)
        /// Sender: cwnd was reduced for an ECE; the next new data segment carries CWR (§6.1.2).
        static let cwrPending = Flags(rawValue: 1 << 4)
        /// Sender: the window of the last reduction is not yet acknowledged (SND.UNA <= `recover`):
        /// no second reduction and no cwnd growth meanwhile (§6.1.2).
        static let reducing = Flags(rawValue: 1 << 5)
    }

    var mode: ECNMode = .acceptOnly
    var flags: Flags = []
    /// `recover` in two halves, which keeps the struct 2-byte aligned.
    private var recoverHigh: UInt16 = 0
    private var recoverLow: UInt16 = 0

    /// SND.MAX when cwnd was last reduced for an ECE: the end of the window that reduction answered.
    var recover: SequenceNumber {
        get { SequenceNumber(UInt32(recoverHigh) << 16 | UInt32(recoverLow)) }
        set {
            recoverHigh = UInt16(truncatingIfNeeded: newValue.rawValue >> 16)
            recoverLow = UInt16(truncatingIfNeeded: newValue.rawValue)
        }
    }

    @inline(__always) var active: Bool { flags.contains(.active) }
}

/// A connection's ECN counts (`TCPInfo`): data segments received CE-marked, ACKs received with
/// ECE while data was outstanding, and the cwnd reductions those caused. 16-bit counters that
/// stop at 65535, six bytes that fit padding the TCB already had (after `sackOK`); the stack's
/// `TCPStatistics` counts the same events without bound.
struct ECNCounters {
    var ceReceived: UInt16 = 0
    var eceReceived: UInt16 = 0
    var reductions: UInt16 = 0

    static func bump(_ n: inout UInt16) { if n < .max { n += 1 } }
}
