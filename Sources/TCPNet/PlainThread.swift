#if canImport(Glibc)
import Glibc

/// A plain joinable pthread running a closure: the TUN reader thread, the stack's event loop, and
/// the short-lived thread that opens a device inside a network namespace.
enum PlainThread {
    private final class Body {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    struct StartError: Error {}

    /// Starts `body` on a new thread and returns it (join it with `pthread_join`).
    static func start(_ body: @escaping @Sendable () -> Void) throws -> pthread_t {
        let context = Unmanaged.passRetained(Body(body)).toOpaque()
        var thread = pthread_t()
        let r = pthread_create(&thread, nil, { arg in
            Unmanaged<Body>.fromOpaque(arg!).takeRetainedValue().body()
            return nil
        }, context)
        guard r == 0 else {
            Unmanaged<Body>.fromOpaque(context).release()
            throw StartError()
        }
        return thread
    }
}
#endif
