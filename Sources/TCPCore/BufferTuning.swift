import TCPWire

/// Auto-tuning's bookkeeping for one connection's ring (`ByteRing.tuning`); the rules are in
/// TCPStack+BufferTuning.swift. It lives in the connection's own ring, not in the TCB, so that an
/// idle connection (which still has the stack's shared empty rings) carries none of it.
struct BufferTuning {
    /// When the ring last grew: it grows at most once per round trip.
    var grownAt = Instant.never

    // Receive side (dynamic right-sizing).
    /// Start of the current measurement of what the application consumed: when, and the sequence
    /// number of the next byte it was to read then. `.never`: not started.
    var measureStart = Instant.never
    var measureSeq = SequenceNumber(0)
    /// What the application read per round trip in the last measurement (0: none yet).
    var readPerRTT = 0
    /// The receiver's round-trip estimate in nanoseconds (0: none yet), from the timestamps the
    /// sender echoes or, without timestamps, from the time a window's worth of data takes to arrive.
    var rtt: Int64 = 0
    /// Without timestamps: the sequence number that ends the window being timed, and when timing began.
    var rttMarkSeq = SequenceNumber(0)
    var rttMarkAt = Instant.never
}
