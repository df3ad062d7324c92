/// The connection slab: TCBs stored inline (no allocation per connection), in chunks of
/// `chunkSize` slots. A single array would double its capacity as it grows — up to half of it
/// unused, and while it grows the old and the new storage both live: 100,000 idle connections of
/// ~850 bytes each peaked at 2 × 112 MB of slots in two stacks. Chunks cost at most one partly
/// filled chunk, and growing copies nothing. (The first chunk grows as an array does, so a stack
/// with a handful of connections stays small.)
struct SlotTable: RandomAccessCollection {
    static let chunkShift = 10
    static let chunkSize = 1 << chunkShift
    private var chunks: [[TCPStack.Slot]] = []
    private(set) var count = 0

    var startIndex: Int { 0 }
    var endIndex: Int { count }
    var indices: Range<Int> { 0..<count }

    subscript(i: Int) -> TCPStack.Slot {
        get { chunks[i >> Self.chunkShift][i & (Self.chunkSize - 1)] }
        _modify { yield &chunks[i >> Self.chunkShift][i & (Self.chunkSize - 1)] }
    }

    mutating func append(_ slot: TCPStack.Slot) {
        if chunks.isEmpty || chunks[chunks.count - 1].count == Self.chunkSize {
            var chunk: [TCPStack.Slot] = []
            if !chunks.isEmpty { chunk.reserveCapacity(Self.chunkSize) }
            chunks.append(chunk)
        }
        chunks[chunks.count - 1].append(slot)
        count += 1
    }
}
