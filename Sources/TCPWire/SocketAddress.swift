/// An address and a port: one end of a TCP connection.
public struct SocketAddress: Hashable, Sendable, CustomStringConvertible {
    public var address: IPAddress
    public var port: UInt16
    @inlinable public init(_ address: IPAddress, _ port: UInt16) { self.address = address; self.port = port }
    public var description: String {
        switch address {
        case .v4(let a): "\(a):\(port)"
        case .v6(let a): "[\(a)]:\(port)"
        }
    }
}
