/// Which bytes past RCV.NXT have arrived: up to `capacity` disjoint ranges of offsets from RCV.NXT,
/// kept sorted, stored inline (no allocation). The bytes themselves wait in the receive ring's free
/// space at the same offsets, so out-of-order data costs no copy when the gap fills
/// (RFC 9293 §3.10.7.4 seventh step; RFC 5681 §4.2 on acknowledging it).
struct Assembler: Equatable {
    static let capacity = 8
    private var starts: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) = (0, 0, 0, 0, 0, 0, 0, 0)
    private var ends: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) = (0, 0, 0, 0, 0, 0, 0, 0)
    private(set) var count = 0

    static func == (a: Assembler, b: Assembler) -> Bool {
        guard a.count == b.count else { return false }
        for i in 0..<a.count where a.range(i) != b.range(i) { return false }
        return true
    }

    var isEmpty: Bool { count == 0 }

    /// The i-th range, [start, end) in offsets from RCV.NXT.
    func range(_ i: Int) -> (start: UInt32, end: UInt32) {
        precondition(i >= 0 && i < count)
        return (Self.get(starts, i), Self.get(ends, i))
    }

    private mutating func set(_ i: Int, _ r: (start: UInt32, end: UInt32)) {
        Self.put(&starts, i, r.start)
        Self.put(&ends, i, r.end)
    }

    private static func get(_ t: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32), _ i: Int) -> UInt32 {
        withUnsafeBytes(of: t) { $0.load(fromByteOffset: i * 4, as: UInt32.self) }
    }
    private static func put(_ t: inout (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32), _ i: Int, _ v: UInt32) {
        withUnsafeMutableBytes(of: &t) { $0.storeBytes(of: v, toByteOffset: i * 4, as: UInt32.self) }
    }

    /// Records that [start, end) arrived, merging with neighbours. Returns false, changing nothing,
    /// when the range would need a slot and all are taken.
    mutating func add(start: UInt32, end: UInt32) -> Bool {
        guard start < end else { return true }
        var s = start, e = end
        // Ranges that overlap or touch [s, e) are absorbed into it.
        var first = 0
        while first < count && range(first).end < s { first += 1 }
        var last = first
        while last < count && range(last).start <= e {
            s = min(s, range(last).start)
            e = max(e, range(last).end)
            last += 1
        }
        let absorbed = last - first
        if absorbed == 0 && count == Self.capacity { return false }
        // Replace ranges first..<last with the merged one.
        let newCount = count - absorbed + 1
        if absorbed == 0 {
            var i = count
            while i > first { set(i, range(i - 1)); i -= 1 }
        } else if absorbed > 1 {
            let shift = absorbed - 1
            for i in (first + 1)..<(count - shift) { set(i, range(i + shift)) }
        }
        count = newCount
        set(first, (s, e))
        return true
    }

    /// If the first range starts at offset 0, removes it and returns its length (the bytes now
    /// contiguous with RCV.NXT); the other ranges are renumbered from the new RCV.NXT.
    mutating func takeFront() -> Int {
        guard count > 0, range(0).start == 0 else { return 0 }
        let n = range(0).end
        for i in 1..<max(count, 1) where i < count {
            let r = range(i)
            set(i - 1, (r.start - n, r.end - n))
        }
        count -= 1
        return Int(n)
    }

    /// The first part of [start, end) already held (a duplicate, RFC 2883), if any.
    func overlap(start: UInt32, end: UInt32) -> (start: UInt32, end: UInt32)? {
        for i in 0..<count {
            let r = range(i)
            let s = max(r.start, start), e = min(r.end, end)
            if s < e { return (s, e) }
        }
        return nil
    }

    /// The range holding `offset`, if any.
    func range(containing offset: UInt32) -> (start: UInt32, end: UInt32)? {
        for i in 0..<count {
            let r = range(i)
            if r.start <= offset && offset < r.end { return r }
        }
        return nil
    }

    /// The end of the last range: how far past RCV.NXT data has been seen.
    var highestEnd: UInt32 { count == 0 ? 0 : range(count - 1).end }

    mutating func removeAll() { count = 0 }

    /// Forgets the highest range (its bytes are left to the sender's retransmission).
    mutating func removeLast() { if count > 0 { count -= 1 } }
}
