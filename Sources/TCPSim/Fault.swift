/// What a fault rule (the scripted mode) does to a packet. The link model's own random faults
/// apply on top of `deliver`, `delay` and `duplicate`.
public enum Fault: Sendable, Equatable {
    /// Deliver after the link's delay.
    case deliver
    /// Lose it; the reason is shown in the pictures.
    case drop(String)
    /// Deliver after the link's delay plus this much.
    case delay(Duration)
    /// Deliver it, and a copy of it this much later ("duplicate the SYN and deliver the copy after
    /// the connection closed").
    case duplicate(after: Duration)
    /// Deliver it, and hold a copy until no host's stack has a connection left (every
    /// connection closed, TIME-WAIT over); then deliver the copy after the link's delay: an old
    /// duplicate arriving once its connection is gone.
    case duplicateAfterClose
    /// Deliver it with one bit flipped (in the TCP header or payload, at a position the seed picks):
    /// the receiver's checksum check must catch it.
    case corrupt
}
