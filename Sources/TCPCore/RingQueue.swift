/// A FIFO over an array with a moving head; storage is reused, so a queue in steady use stops
/// allocating once it has grown to its working size. The simulator's links queue their packets
/// in one too: public only under `@_spi(Containers)`, not TCPCore's API (see `Heap`).
@_spi(Containers) public struct RingQueue<Element> {
    @usableFromInline var items: [Element?] = []
    @usableFromInline var head = 0
    @usableFromInline var storedCount = 0

    @inlinable public init() {}

    @inlinable public var count: Int { storedCount }

    @inlinable public var isEmpty: Bool { storedCount == 0 }

    @inlinable public mutating func append(_ e: Element) {
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
        storedCount += 1
    }

    @inlinable public var first: Element? { count == 0 ? nil : items[head] }

    @inlinable public mutating func popFirst() -> Element? {
        guard count > 0 else { return nil }
        let e = items[head]
        items[head] = nil
        head = (head + 1) % items.count
        storedCount -= 1
        return e
    }

    /// Removes every element matching `predicate`, keeping order.
    public mutating func removeAll(where predicate: (Element) -> Bool) {
        var kept: [Element] = []
        while let e = popFirst() { if !predicate(e) { kept.append(e) } }
        for e in kept { append(e) }
    }

    public func contains(where predicate: (Element) -> Bool) -> Bool {
        for i in 0..<count where predicate(items[(head + i) % items.count]!) { return true }
        return false
    }
}
