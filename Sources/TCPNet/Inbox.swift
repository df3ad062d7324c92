import NIOConcurrencyHelpers

/// Packets received by the device on any thread, waiting for the event loop.
///
/// The device's buffer is valid only during its `receive` call, so each packet is copied once, as
/// a length-prefixed record, into one growing byte array. The loop swaps that array for its own
/// (emptied, capacity kept) and works through the records, so in steady state receiving allocates
/// nothing: two arrays trade places. A wake-up is scheduled only when the inbox goes from empty to
/// non-empty. Bounded: past `limitBytes` a packet is dropped and counted, as a full NIC ring would.
///
/// The lock is NIO's (a pthread mutex) rather than `Synchronization.Mutex`: ThreadSanitizer
/// understands pthread mutexes, while it cannot see `Mutex`'s futex and reports false races.
final class Inbox: Sendable {
    struct State {
        var bytes: [UInt8] = []
        var wakeScheduled = false
        var open = true
        var dropped = 0
    }
    let state = NIOLockedValueBox(State())
    let limitBytes: Int

    init(limitBytes: Int) {
        self.limitBytes = limitBytes
    }

    /// Appends a packet; returns true when the caller must wake the loop.
    func push(_ packet: UnsafeRawBufferPointer) -> Bool {
        state.withLockedValue { s in
            guard s.open else { return false }
            guard s.bytes.count + packet.count + 4 <= limitBytes else {
                s.dropped += 1
                return false
            }
            let n = UInt32(packet.count)
            s.bytes.append(UInt8(truncatingIfNeeded: n >> 24))
            s.bytes.append(UInt8(truncatingIfNeeded: n >> 16))
            s.bytes.append(UInt8(truncatingIfNeeded: n >> 8))
            s.bytes.append(UInt8(truncatingIfNeeded: n))
            s.bytes.append(contentsOf: packet)
            if s.wakeScheduled { return false }
            s.wakeScheduled = true
            return true
        }
    }

    /// Swaps the pending records into `spare` (which must be empty) and clears the wake-up flag.
    func take(into spare: inout [UInt8]) {
        state.withLockedValue { s in
            swap(&s.bytes, &spare)
            s.wakeScheduled = false
        }
    }

    /// Stops accepting packets.
    func close() {
        state.withLockedValue { s in
            s.open = false
            s.bytes = []
        }
    }

    var droppedCount: Int { state.withLockedValue { $0.dropped } }

    /// Calls `body` for each record in `records`.
    static func forEach(_ records: [UInt8], _ body: (UnsafeRawBufferPointer) -> Void) {
        records.withUnsafeBytes { all in
            var i = 0
            while i + 4 <= all.count {
                let n = Int(all[i]) << 24 | Int(all[i + 1]) << 16 | Int(all[i + 2]) << 8 | Int(all[i + 3])
                let start = i + 4
                guard start + n <= all.count else { return }
                body(UnsafeRawBufferPointer(rebasing: all[start..<(start + n)]))
                i = start + n
            }
        }
    }
}
