/// Which slow-start exit `TCPConfiguration.hyStart` runs.
public enum HyStartVariant: Sendable, Hashable {
    /// HyStart++ (RFC 9406): the minimum RTT of each round against the last round's, then a
    /// conservative slow start before congestion avoidance.
    case plusPlus
    /// Classic HyStart (Ha and Rhee, "Taming the elephants: New TCP slow start", 2011) as Linux's
    /// CUBIC runs it: `ackTrain` ends slow start when closely spaced ACKs of one round span half
    /// the minimum RTT, `delay` when the minimum of a round's first samples exceeds the minimum
    /// RTT by an eighth (4 to 16 ms). Linux's `hystart_detect` bits 1 and 2.
    case classic(ackTrain: Bool, delay: Bool)
}
