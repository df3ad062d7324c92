/// A handle to a listening endpoint.
public struct ListenerID: Hashable, Sendable, CustomStringConvertible {
    public let index: UInt32
    public let generation: UInt32
    public var description: String { "l\(index).\(generation)" }
}
