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
