/// What one direction of a link did, counted.
public struct LinkCounters: Sendable, Hashable {
    public var packets = 0
    public var bytes = 0
    public var lost = 0
    public var queueDrops = 0
    public var blackholed = 0
    public var duplicated = 0
    public var reordered = 0
    public var corrupted = 0
    /// Packets dropped by the scripted fault rule.
    public var scriptedDrops = 0
    /// Packets larger than the path MTU dropped (`LinkModel.pathMTU`), and the ICMP messages
    /// the link sent back for them.
    public var tooBig = 0
    public var packetTooBigSent = 0
    /// Packets the ECN-capable queue marked CE (`LinkModel.ecnMarkThreshold`).
    public var ceMarked = 0

    public static func + (a: Self, b: Self) -> Self {
        var r = a
        r.packets += b.packets; r.bytes += b.bytes; r.lost += b.lost; r.queueDrops += b.queueDrops
        r.blackholed += b.blackholed; r.duplicated += b.duplicated; r.reordered += b.reordered
        r.corrupted += b.corrupted; r.scriptedDrops += b.scriptedDrops
        r.tooBig += b.tooBig; r.packetTooBigSent += b.packetTooBigSent
        r.ceMarked += b.ceMarked
        return r
    }
}
