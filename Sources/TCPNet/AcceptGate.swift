import NIOConcurrencyHelpers
import TCPCore

/// How a sharded listener learns that a shard has a connection to accept, without polling and
/// without asking the shards that have none: each shard's driver signals the gate on every wake-up
/// of its listener (a connection queued, the listener closed, the stack stopping), which marks the
/// shard and resumes the waiting `accept`s.
final class AcceptGate: Sendable {
    struct State {
        /// Shards that may have a connection waiting (all of them at first).
        var marked: [Bool]
        /// Counts signals: a wait that saw an older count returns at once (no lost wake-up).
        var epoch: UInt64 = 0
        var waiters: [(token: UInt64, continuation: CheckedContinuation<Void, Never>)] = []
        var nextToken: UInt64 = 0
    }
    let state: NIOLockedValueBox<State>

    init(shards: Int) {
        state = NIOLockedValueBox(State(marked: Array(repeating: true, count: shards)))
    }

    /// Marks `shard` and wakes the waiters: called by the shard's driver (on its loop), and by an
    /// `accept` that took a connection there (more may be waiting).
    func signal(shard: Int) {
        let waiters = state.withLockedValue { s in
            s.marked[shard] = true
            s.epoch &+= 1
            defer { s.waiters = [] }
            return s.waiters
        }
        for w in waiters { w.continuation.resume() }
    }

    /// The marked shards (unmarking them: the caller tries each) and the signal count then.
    func take() -> (marked: [Bool], epoch: UInt64) {
        state.withLockedValue { s in
            defer { for i in s.marked.indices { s.marked[i] = false } }
            return (s.marked, s.epoch)
        }
    }

    /// Suspends until a signal after `epoch` (at once if one came already), or cancellation.
    func wait(epoch: UInt64) async {
        let token = state.withLockedValue { s in
            s.nextToken &+= 1
            return s.nextToken
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let now = state.withLockedValue { s in
                    guard s.epoch == epoch, !Task.isCancelled else { return true }
                    s.waiters.append((token, c))
                    return false
                }
                if now { c.resume() }
            }
        } onCancel: {
            let waiter = state.withLockedValue { s -> CheckedContinuation<Void, Never>? in
                guard let i = s.waiters.firstIndex(where: { $0.token == token }) else { return nil }
                return s.waiters.remove(at: i).continuation
            }
            waiter?.resume()
        }
    }
}
