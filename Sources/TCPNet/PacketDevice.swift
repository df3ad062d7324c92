/// Moves whole IP packets (no link-layer header) between a `NetworkStack` and something else: a
/// TUN device, the other half of an `InMemoryDevicePair`, a fault-injecting wrapper.
///
/// The seam between the driver and the outside world (docs/design.md, "Driver contract", says
/// what a device must do): the driver calls `start` once, `send` from its event loop for every
/// packet the engine produces, and `stop` when the stack shuts down.
public protocol PacketDevice: Sendable {
    /// Starts delivering received packets to `receive` (called on any thread, one packet per call,
    /// the buffer valid only during the call) until `stop()`. Throws if it cannot start.
    func start(receive: @escaping @Sendable (UnsafeRawBufferPointer) -> Void) throws
    /// Sends one IP packet. Never blocks for long; a full device drops (and counts) the packet.
    /// The buffer is valid only during the call.
    func send(_ packet: UnsafeRawBufferPointer)
    /// Stops delivering packets. A call of `receive` already under way may still finish; the driver
    /// ignores packets that arrive after it stopped the device.
    func stop()
    /// What the device finishes on packets the driver sends (checksums, segmentation): the driver
    /// leaves to it only what it says here. Default: nothing (`.none`).
    var transmitOffload: PacketOffload.Capabilities { get }
    /// Sends one IP packet whose checksum or segmentation `offload` asks the device to finish
    /// (only what `transmitOffload` offers). Default: `send(packet)`, for `.none`.
    func send(_ packet: UnsafeRawBufferPointer, offload: PacketOffload)
}

extension PacketDevice {
    public var transmitOffload: PacketOffload.Capabilities { .none }
    public func send(_ packet: UnsafeRawBufferPointer, offload: PacketOffload) { send(packet) }
}

/// A `PacketDevice` whose received packets the stack's event loop can read itself, on its own
/// thread, when the descriptor says they are there: no reader thread, no inbox, no hop (see
/// docs/design.md, "Driver contract"). `NetworkStack` uses this capability when a device has it
/// (unless told not to) and `start(receive:)` otherwise; `TUNDevice` has it.
public protocol PollablePacketDevice: PacketDevice {
    /// A descriptor that polls readable (level-triggered, epoll(7)) while a packet waits. It must
    /// stay open until the device goes away (the loop stops watching it in `stop()`'s call).
    var pollDescriptor: Int32 { get }
    /// Marks the device started for polled reading, in place of `start(receive:)`: from then until
    /// `stop()` the driver calls `receive(into:)`. Throws if it cannot start (as `start`).
    func startPolled() throws
    /// Reads one waiting packet into `buffer` (`PollablePacketDeviceLimits.maximumPacketBytes`
    /// long, so no packet is cut) without blocking: its length, or nil when none waits (or a read
    /// failed, which the device counts). Called on the stack's event loop only.
    func receive(into buffer: UnsafeMutableRawBufferPointer) -> Int?
    /// `receive(into:)`, also saying what the device left unfinished or vouched for in `offload`
    /// (a super-segment larger than the MTU, a partial or verified checksum); `.none` for a plain
    /// packet. Default: `receive(into:)` with `.none`.
    func receive(into buffer: UnsafeMutableRawBufferPointer, offload: inout PacketOffload) -> Int?
}

extension PollablePacketDevice {
    public func receive(into buffer: UnsafeMutableRawBufferPointer, offload: inout PacketOffload) -> Int? {
        offload = .none
        return receive(into: buffer)
    }
}

/// What the driver guarantees a `PollablePacketDevice`.
public enum PollablePacketDeviceLimits {
    /// The length of the buffer `receive(into:)` gets: the largest IP packet.
    public static let maximumPacketBytes = 65535
}
