import TCPWire

/// One connection's F-RTO state (RFC 5682): after a retransmission timeout, whether the timeout
/// may still turn out to have been spurious, and what undoing it restores.
struct ForwardRTORecovery: Sendable {
    enum Phase: UInt8, Sendable {
        /// No timeout under test.
        case off
        /// The timeout's retransmission is out; waiting for the first ACK (RFC 5682 §3.1 step 2).
        case waitingForACK
        /// That ACK advanced SND.UNA and new data went out instead of retransmissions (step 2b);
        /// the next ACK decides (step 3).
        case newDataSent
    }
    var phase = Phase.off
    /// The transmissions that follow this ACK send new data, not the segments marked lost (step
    /// 2b; Linux's REXMIT_NEW). Cleared by the next ACK or timeout.
    var sendNewData = false
    /// Facts about the ACK being processed, gathered by the SACK path: it acknowledged or SACKed
    /// data that was never retransmitted and was sent before the timeout; it SACKed new data.
    var ackCoversOriginal = false
    var ackSACKedData = false
    /// The timestamp of the timeout's retransmission, for RFC 3522's test (an ACK echoing an
    /// older TSval answers an original transmission).
    var retransmissionTSval: UInt32 = 0
    /// SND.MAX when the timer fired (Linux's high_seq): data up to it was sent before the timeout.
    var highSeq = SequenceNumber(0)
    /// Without SACK: how far the go-back retransmission had got when new data was sent instead.
    var retransmitFrontier = SequenceNumber(0)
    /// cwnd and ssthresh before the timeout's reduction (what an undo restores).
    var undoCwnd: UInt32 = 0
    var undoSsthresh: UInt32 = 0
}
