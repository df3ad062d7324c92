/// A FIFO over an array with a moving head; storage is reused, so a queue in steady use stops
/// allocating once it has grown to its working size.
struct RingQueue<Element> {
    private var items: [Element?] = []
    private var head = 0
    private(set) var count = 0

    var isEmpty: Bool { count == 0 }

    mutating func append(_ e: Element) {
        if count == items.count {
            // Grow: unroll into a new array twice as large.
            var grown: [Element?] = []
            grown.reserveCapacity(Swift.max(8, items.count * 2))
            for i in 0..<count { grown.append(items[(head + i) % items.count]) }
            grown.append(contentsOf: repeatElement(nil, count: Swift.max(8, items.count * 2) - count))
            items = grown
            head = 0
        }
        items[(head + count) % items.count] = e
        count += 1
    }

    var first: Element? { count == 0 ? nil : items[head] }

    mutating func popFirst() -> Element? {
        guard count > 0 else { return nil }
        let e = items[head]
        items[head] = nil
        head = (head + 1) % items.count
        count -= 1
        return e
    }

    /// Removes every element matching `predicate`, keeping order.
    mutating func removeAll(where predicate: (Element) -> Bool) {
        var kept: [Element] = []
        while let e = popFirst() { if !predicate(e) { kept.append(e) } }
        for e in kept { append(e) }
    }

    func contains(where predicate: (Element) -> Bool) -> Bool {
        for i in 0..<count where predicate(items[(head + i) % items.count]!) { return true }
        return false
    }
}

/// A binary min-heap of timer entries. Entries are never removed early: an entry whose deadline no
/// longer matches its connection's earliest deadline is stale and skipped when popped.
struct TimerHeap {
    struct Entry { var deadline: Instant; var slot: UInt32; var generation: UInt32 }
    private(set) var entries: [Entry] = []

    var first: Entry? { entries.first }
    var count: Int { entries.count }

    mutating func push(_ e: Entry) {
        entries.append(e)
        var i = entries.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            if entries[parent].deadline <= entries[i].deadline { break }
            entries.swapAt(parent, i)
            i = parent
        }
    }

    mutating func pop() -> Entry? {
        guard !entries.isEmpty else { return nil }
        let top = entries[0]
        let last = entries.removeLast()
        if !entries.isEmpty {
            entries[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < entries.count && entries[l].deadline < entries[m].deadline { m = l }
                if r < entries.count && entries[r].deadline < entries[m].deadline { m = r }
                if m == i { break }
                entries.swapAt(i, m)
                i = m
            }
        }
        return top
    }
}
