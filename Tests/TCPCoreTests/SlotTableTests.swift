import Testing
import TCPWire
@testable import TCPCore

/// The slot table's in-place access (`beginInPlace` … `endInPlace`, behind `TCPStack.take` and
/// `commit`): writes through the pointer are the slot's, a copy of the table keeps its own
/// connections, and whatever could move a connection away from the pointer traps.
@Suite("SlotTable: connections processed in place")
struct SlotTableTests {
    static func connection(port: UInt16) -> Connection {
        let configuration = TCPConfiguration()
        let rings = TCPStack.EmptyRings(send: ByteRing(capacity: 16, placeholder: true),
                                        receive: ByteRing(capacity: 16, placeholder: true))
        return Connection(local: SocketAddress(IPAddress("198.18.0.1")!, port), remote: SocketAddress(IPAddress("198.18.0.2")!, 80),
                          passive: false, userOwned: true, configuration: configuration, rings: rings)
    }

    static func table(_ n: Int) -> SlotTable {
        var t = SlotTable()
        for k in 0..<n { t.append(TCPStack.Slot(generation: 0, connection: connection(port: UInt16(1000 + k)))) }
        return t
    }

    @Test func writesThroughThePointerAreTheSlots() {
        var t = Self.table(3)
        let c = t.beginInPlace(1)
        #expect(c.pointee.local.port == 1001)
        c.pointee.keepAliveProbesOut = 7
        c.pointee.counters.segmentsReceived = 42
        t.endInPlace(1)
        #expect(t[1].connection!.keepAliveProbesOut == 7)
        #expect(t[1].connection!.counters.segmentsReceived == 42)
        #expect(t[0].connection!.keepAliveProbesOut == 0)
        #expect(t[2].connection!.keepAliveProbesOut == 0)
        #expect(t.inPlace == -1)
    }

    @Test func aCopyOfTheTableKeepsItsConnection() {
        var t = Self.table(2)
        let copy = t
        let c = t.beginInPlace(0)   // copies the shared chunk first
        c.pointee.keepAliveProbesOut = 3
        t.endInPlace(0)
        #expect(t[0].connection!.keepAliveProbesOut == 3)
        #expect(copy[0].connection!.keepAliveProbesOut == 0)
    }

    @Test func removeAndPutAfterTheInPlaceAccessEnds() {
        var t = Self.table(2)
        _ = t.beginInPlace(1)
        t.endInPlace(1)
        t.removeConnection(1)
        #expect(t[1].connection == nil)
        #expect(t[1].generation == 1)
        t.putConnection(1, Self.connection(port: 2000))
        #expect(t[1].connection!.local.port == 2000)
    }

    // The pointer's lifetime rule, guarded: each of these would leave it pointing at a moved or
    // freed connection.

    @Test func appendWhileInPlaceTraps() async {
        await #expect(processExitsWith: .failure) {
            var t = SlotTableTests.table(4)   // the first chunk is full: an append reallocates it
            _ = t.beginInPlace(0)
            t.append(TCPStack.Slot(generation: 0, connection: SlotTableTests.connection(port: 9)))
        }
    }

    @Test func copyOnWriteOfTheChunkWhileInPlaceTraps() async {
        await #expect(processExitsWith: .failure) {
            var t = SlotTableTests.table(2)
            _ = t.beginInPlace(0)
            let copy = t
            t[1].connection!.keepAliveProbesOut = 1   // would copy the chunk the pointer is in
            _ = copy
        }
    }

    @Test func removingTheConnectionInPlaceTraps() async {
        await #expect(processExitsWith: .failure) {
            var t = SlotTableTests.table(1)
            _ = t.beginInPlace(0)
            t.removeConnection(0)
        }
    }

    @Test func twoConnectionsInPlaceTrap() async {
        await #expect(processExitsWith: .failure) {
            var t = SlotTableTests.table(2)
            _ = t.beginInPlace(0)
            _ = t.beginInPlace(1)
        }
    }
}
