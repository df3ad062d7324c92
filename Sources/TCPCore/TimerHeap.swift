/// The stack's timer deadlines, earliest first. Entries are never removed early: an entry whose
/// deadline no longer matches its connection's earliest deadline is stale and skipped when popped.
typealias TimerHeap = Heap<TimerEntry>

/// One deadline of the connection in `slot` (of that slot's `generation`).
struct TimerEntry: HeapOrdered {
    var deadline: Instant
    var slot: UInt32
    var generation: UInt32

    static func precedes(_ a: Self, _ b: Self) -> Bool { a.deadline < b.deadline }
}

extension Heap where Element == TimerEntry {
    typealias Entry = TimerEntry
}
