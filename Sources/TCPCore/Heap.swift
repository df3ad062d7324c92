/// What a `Heap` orders its elements by.
@_spi(Containers) public protocol HeapOrdered {
    /// True when `a` leaves the heap before `b`.
    static func precedes(_ a: Self, _ b: Self) -> Bool
}

/// A binary min-heap: `first` is an element no other precedes. Ties leave in no promised order;
/// an element that carries a sequence number and compares it last makes them stable. Shared by
/// the stack's timers (`TimerHeap`) and the simulator's packets in flight and scheduled actions.
///
/// Not TCPCore's API: public only under `@_spi(Containers)`, for the package's other modules.
/// (An `@inlinable package` declaration is not specialized in another module by Swift 6.3, and
/// an unspecialized heap made the simulator 10% slower; SPI is public to the optimizer.)
@_spi(Containers) public struct Heap<Element: HeapOrdered> {
    @usableFromInline var storage: [Element] = []

    @inlinable public init() {}

    /// The elements in heap order (not sorted).
    @inlinable public var items: [Element] { storage }
    @inlinable public var first: Element? { storage.first }
    @inlinable public var count: Int { storage.count }
    @inlinable public var isEmpty: Bool { storage.isEmpty }

    @inlinable public mutating func push(_ e: Element) {
        storage.append(e)
        var i = storage.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard Element.precedes(storage[i], storage[parent]) else { break }
            storage.swapAt(parent, i)
            i = parent
        }
    }

    @inlinable public mutating func pop() -> Element? {
        guard !storage.isEmpty else { return nil }
        let top = storage[0]
        let last = storage.removeLast()
        if !storage.isEmpty {
            storage[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < storage.count && Element.precedes(storage[l], storage[m]) { m = l }
                if r < storage.count && Element.precedes(storage[r], storage[m]) { m = r }
                if m == i { break }
                storage.swapAt(i, m)
                i = m
            }
        }
        return top
    }
}
