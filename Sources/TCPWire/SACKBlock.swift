/// A SACK block (RFC 2018 §3): the left edge and the sequence number just past the right edge.
public struct SACKBlock: Hashable, Sendable {
    public var left: SequenceNumber
    public var right: SequenceNumber
    @inlinable public init(left: SequenceNumber, right: SequenceNumber) { self.left = left; self.right = right }
}

/// Up to four SACK blocks stored inline (no allocation; 40 bytes of options hold at most four).
public struct SACKBlocks: Hashable, Sendable, RandomAccessCollection {
    public private(set) var count: Int = 0
    private var b0 = SACKBlock(left: .init(0), right: .init(0))
    private var b1 = SACKBlock(left: .init(0), right: .init(0))
    private var b2 = SACKBlock(left: .init(0), right: .init(0))
    private var b3 = SACKBlock(left: .init(0), right: .init(0))
    public static let capacity = 4
    public init() {}
    public init(_ blocks: [SACKBlock]) { for b in blocks.prefix(4) { append(b) } }
    public var startIndex: Int { 0 }
    public var endIndex: Int { count }
    public subscript(i: Int) -> SACKBlock {
        precondition(i >= 0 && i < count, "SACK block index out of range")
        switch i { case 0: return b0; case 1: return b1; case 2: return b2; default: return b3 }
    }
    /// Appends a block; returns false (and keeps the list) when four are already stored.
    @discardableResult public mutating func append(_ b: SACKBlock) -> Bool {
        switch count {
        case 0: b0 = b
        case 1: b1 = b
        case 2: b2 = b
        case 3: b3 = b
        default: return false
        }
        count += 1
        return true
    }
    public static func == (l: SACKBlocks, r: SACKBlocks) -> Bool { l.elementsEqual(r) }
    public func hash(into h: inout Hasher) { h.combine(count); for b in self { h.combine(b) } }
}
