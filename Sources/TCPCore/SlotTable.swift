/// The connection slab: TCBs stored inline (no allocation per connection), in chunks of
/// `chunkSize` slots. A single array would double its capacity as it grows — up to half of it
/// unused, and while it grows the old and the new storage both live: 100,000 idle connections of
/// ~850 bytes each peaked at 2 × 112 MB of slots in two stacks. Chunks cost at most one partly
/// filled chunk, and growing copies nothing. (The first chunk grows as an array does, so a stack
/// with a handful of connections stays small.)
///
/// The subscript hands out slots by address (`unsafeAddress` / `unsafeMutableAddress`), not by
/// value: `slots[i].connection?.state` reads one field in place, where an array's getter copied
/// the whole slot (~800 bytes and a retain for every reference in it) for each read — a sixth of
/// the per-segment instructions. A connection is processed where it lives (`beginInPlace` …
/// `endInPlace`, used by `TCPStack.take` and `commit`): moving the TCB out and back for every
/// segment was a quarter of the engine's cycles in memmove. Chunks are copy-on-write, so
/// `TCPStack` stays a value type.
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
        if !isKnownUniquelyReferenced(&chunks[k]) {
            // A copy would leave an in-place pointer (`beginInPlace`) writing the old chunk.
            precondition(inPlace < 0 || inPlace >> Self.chunkShift != k, "copy-on-write while a connection is processed in place")
            chunks[k] = chunks[k].copy(capacity: chunks[k].capacity)
        }
        return chunks[k].base + (i & (Self.chunkSize - 1))
    }

    /// The slot whose connection is being processed in place, or -1.
    private(set) var inPlace = -1

    /// The address of slot `i`'s connection, to process it where it lives until `endInPlace(i)`.
    ///
    /// Lifetime rule: the pointer is valid until `endInPlace(i)` and must not be used after it.
    /// Until then the table keeps its shape: `append` (the first chunk grows by reallocating) and
    /// a copy-on-write copy of slot `i`'s chunk (a copy of the stack being written) trap instead of moving
    /// the connection away from the pointer, and the slot cannot be emptied (`removeConnection`
    /// needs the in-place access ended). In between, connection `i` is reached only through the
    /// pointer, never through `self[i].connection` (an `inout` of the pointee must not alias).
    /// One connection at a time.
    mutating func beginInPlace(_ i: Int) -> UnsafeMutablePointer<Connection> {
        precondition(inPlace < 0, "a connection is already processed in place")
        let field = address(i).pointer(to: \.connection)!
        precondition(field.pointee != nil, "no connection in the slot")
        inPlace = i
        // An optional (a single-payload enum) keeps its payload at offset 0 (the Swift ABI's type
        // layout), so a `.some` optional's storage is the connection's.
        return UnsafeMutableRawPointer(field).assumingMemoryBound(to: Connection.self)
    }

    /// Ends `beginInPlace(i)`: its pointer is dead from here.
    mutating func endInPlace(_ i: Int) {
        precondition(inPlace == i, "slot \(i) is not processed in place")
        inPlace = -1
    }

    /// Moves `c` into slot `i`, which holds no connection.
    mutating func putConnection(_ i: Int, _ c: consuming Connection) {
        let field = address(i).pointer(to: \.connection)!
        precondition(field.pointee == nil, "slot \(i) holds a connection")
        field.deinitialize(count: 1)
        field.initialize(to: consume c)
    }

    /// Empties slot `i` (its connection is released), bumping its generation so that handles to it go stale.
    mutating func removeConnection(_ i: Int) {
        precondition(inPlace != i, "slot \(i) is processed in place")
        let slot = address(i)
        slot.pointee.connection = nil
        slot.pointee.generation &+= 1
    }

    mutating func append(_ slot: TCPStack.Slot) {
        // The first chunk may move as it grows, and a pointer from `beginInPlace` with it.
        precondition(inPlace < 0, "append while a connection is processed in place")
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
