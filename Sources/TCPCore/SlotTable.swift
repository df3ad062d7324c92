/// The connection slab: TCBs stored inline (no allocation per connection), in chunks of
/// `chunkSize` slots. A single array would double its capacity as it grows — up to half of it
/// unused, and while it grows the old and the new storage both live: 100,000 idle connections of
/// ~850 bytes each peaked at 2 × 112 MB of slots in two stacks. Chunks cost at most one partly
/// filled chunk, and growing copies nothing. (The first chunk grows as an array does, so a stack
/// with a handful of connections stays small.)
///
/// The subscript hands out slots by address (`unsafeAddress` / `unsafeMutableAddress`), not by
/// value: `slots[i].connection?.state` reads one field in place, and `take`/`commit` move a TCB
/// in and out, where an array's getter copied the whole slot (~800 bytes and a retain for every
/// reference in it) for each read — a sixth of the per-segment instructions. Chunks are
/// copy-on-write, so `TCPStack` stays a value type.
struct SlotTable: RandomAccessCollection {
    static let chunkShift = 10
    static let chunkSize = 1 << chunkShift

    /// Storage for up to `capacity` slots, of which the first `count` are initialized.
    final class Chunk {
        let base: UnsafeMutablePointer<TCPStack.Slot>
        let capacity: Int
        var count = 0

        init(capacity: Int) {
            base = .allocate(capacity: capacity)
            self.capacity = capacity
        }

        /// A chunk of `capacity` holding copies of this one's slots.
        func copy(capacity: Int) -> Chunk {
            let c = Chunk(capacity: capacity)
            c.base.initialize(from: base, count: count)
            c.count = count
            return c
        }

        deinit {
            base.deinitialize(count: count)
            base.deallocate()
        }
    }

    private var chunks: [Chunk] = []
    private(set) var count = 0

    var startIndex: Int { 0 }
    var endIndex: Int { count }
    var indices: Range<Int> { 0..<count }

    subscript(i: Int) -> TCPStack.Slot {
        unsafeAddress {
            precondition(i >= 0 && i < count, "slot index out of range")
            return UnsafePointer(chunks[i >> Self.chunkShift].base + (i & (Self.chunkSize - 1)))
        }
        unsafeMutableAddress { address(i) }
    }

    /// Slot `i`'s storage, made unique; valid until the table is next changed.
    private mutating func address(_ i: Int) -> UnsafeMutablePointer<TCPStack.Slot> {
        precondition(i >= 0 && i < count, "slot index out of range")
        let k = i >> Self.chunkShift
        if !isKnownUniquelyReferenced(&chunks[k]) { chunks[k] = chunks[k].copy(capacity: chunks[k].capacity) }
        return chunks[k].base + (i & (Self.chunkSize - 1))
    }

    /// Moves the connection out of slot `i`, leaving nil there (no copy, no retain/release).
    mutating func takeConnection(_ i: Int) -> Connection? {
        let field = address(i).pointer(to: \.connection)!
        let c = field.move()
        field.initialize(to: nil)
        return c
    }

    /// Moves `c` into slot `i` (whose connection was taken).
    mutating func putConnection(_ i: Int, _ c: consuming Connection) {
        let field = address(i).pointer(to: \.connection)!
        field.deinitialize(count: 1)
        field.initialize(to: consume c)
    }

    mutating func append(_ slot: TCPStack.Slot) {
        if chunks.isEmpty {
            chunks.append(Chunk(capacity: 4))
        } else if chunks[chunks.count - 1].count == Self.chunkSize {
            chunks.append(Chunk(capacity: Self.chunkSize))
        }
        let k = chunks.count - 1
        let unique = isKnownUniquelyReferenced(&chunks[k])
        let full = chunks[k].count == chunks[k].capacity
        if !unique || full {
            // Copy-on-write, or the first chunk growing (doubling, up to `chunkSize`).
            let old = chunks[k]
            let capacity = full ? Swift.min(Self.chunkSize, old.capacity * 2) : old.capacity
            if unique {
                let grown = Chunk(capacity: capacity)
                grown.base.moveInitialize(from: old.base, count: old.count)
                grown.count = old.count
                old.count = 0
                chunks[k] = grown
            } else {
                chunks[k] = old.copy(capacity: capacity)
            }
        }
        let chunk = chunks[k]
        (chunk.base + chunk.count).initialize(to: slot)
        chunk.count += 1
        count += 1
    }
}
