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
