import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Standard input as chunks, read by a thread of its own (a blocking read must not hold one of
/// the few threads Swift's concurrency runs on); the thread reads the next chunk only after the
/// previous one was taken, so a slow connection holds the input back. Any file descriptor can
/// stand in for standard input (a pipe's read end in a test).
///
/// Each hand-over (a read, a copy, a wake-up of the consumer and one of this thread) costs about
/// the same whatever the chunk's size, so chunks are large: a read takes up to `chunkBytes`, and
/// a pipe is asked to hold that much (F_SETPIPE_SZ; a pipe holds 64 KiB by default, so a read
/// never returned more). A read still returns what has arrived, so interactive input is not held.
public final class StandardInput: Sendable {
    private let stream: AsyncStream<[UInt8]>
    private let taken = DispatchSemaphore(value: 0)
    private let stopped = Atomic<Bool>(false)
    /// The largest chunk (and what a pipe on the descriptor is asked to hold).
    public static let chunkBytes = 256 * 1024
    /// fcntl(2)'s F_SETPIPE_SZ (Linux; not exported by Glibc's module without _GNU_SOURCE).
    private static let setPipeSize: Int32 = 1031

    /// Starts the reading thread on `fd` (0: standard input). The descriptor is not closed.
    public init(fd: Int32 = 0) {
        let (stream, continuation) = AsyncStream.makeStream(of: [UInt8].self)
        self.stream = stream
        DispatchQueue(label: "tcpkit.stdin").async { [self] in
            #if canImport(Glibc)
            // Not a pipe, or above /proc/sys/fs/pipe-max-size: refused, and reads are as before.
            _ = fcntl(fd, Self.setPipeSize, Int32(Self.chunkBytes))
            #endif
            var buffer = [UInt8](repeating: 0, count: Self.chunkBytes)
            while !self.stopped.load(ordering: .relaxed) {
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                continuation.yield(Array(buffer[..<n]))
                self.taken.wait()
            }
            continuation.finish()
        }
    }

    /// The next chunk (at most 64 KiB, never empty); nil at the end of the input, on a read
    /// error, or after `stop()`.
    public func next() async -> [UInt8]? {
        var it = stream.makeAsyncIterator()
        let chunk = await it.next()
        if chunk != nil { taken.signal() }
        return chunk
    }

    /// Ends the reading after the read under way (which may still wait for input).
    public func stop() {
        stopped.store(true, ordering: .relaxed)
        taken.signal()
    }
}
