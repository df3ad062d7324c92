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
}
