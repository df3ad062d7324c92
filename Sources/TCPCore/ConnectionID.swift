/// A handle to a connection: a slot index and the generation of the slot when it was handed out,
/// so a stale handle can never reach a newer connection that reuses the slot.
public struct ConnectionID: Hashable, Sendable, CustomStringConvertible {
    public let index: UInt32
    public let generation: UInt32
    public var description: String { "c\(index).\(generation)" }
}
