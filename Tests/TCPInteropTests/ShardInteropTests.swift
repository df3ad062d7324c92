import Foundation
import TCPNet
import Testing

extension InteropSuites {
    /// `tcpkit tun serve --shards 2`: a multi-queue TUN interface, a queue, an event loop and an
    /// engine per shard, with the kernel's clients on the other side.
    @Suite("Interop: kernel clients → sharded TCPKit server", .serialized)
    struct ShardInteropTests {
        static let stack = "198.18.0.2"

        /// Sixteen kernel clients at once against the echo server on two shards: every echo is
        /// intact, and both queues carried traffic (the kernel picks a new flow's queue by hash, so
        /// sixteen flows all on one queue has odds of 2 in 65536).
        @Test(.interop("python3", "ip")) func parallelEchoOverTwoShards() throws {
            guard Interop.available("sharded echo", tools: ["python3"]) else { return }
            guard Tools.tcpkit != nil else { Issue.record("no tcpkit beside the test bundle: build it (swift build) first"); return }
            let ns = try NetNamespace()
            defer { ns.delete() }
            let server = try TCPKitServer.start(in: ns, mode: "echo", port: 7, seconds: 120, extra: ["--shards", "2"])
            let link = ns.run(["ip", "-d", "link", "show", "tcpkit0"], seconds: 10)
            #expect(link.output.contains("multi_queue") && link.output.contains("numqueues 2"), "\(link)")
            let dir = Tools.temporaryFile(".d")
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let clients = 16, bytes = 4 << 20
            let script = "for i in $(seq 1 \(clients)); do python3 \(Tools.script("echo_client.py")) \(Self.stack) 7 \(bytes) $i 90 > \(dir)/$i.json 2>&1 & done; wait"
            let r = ns.shell(script, seconds: 100)
            let log = server.stop()
            #expect(r.status == 0, "\(r)\n\(log)")
            for i in 1...clients {
                let out = Tools.read("\(dir)/\(i).json")
                let json = Tools.lastJSON(out)
                #expect(json?["intact"] as? Bool == true && json?["received"] as? Int == bytes, "client \(i): \(out)\n\(log)")
            }
            // "tcpkit: ... shards: A in/B out, C in/D out; handed between shards: H"
            let perShard = Self.shardCounts(log)
            #expect(perShard.count == 2, "\(log)")
            #expect(perShard.allSatisfy { $0.received > 0 && $0.sent > 0 }, "both shards carry traffic: \(log)")
            print("interop sharded echo: \(clients) clients × \(bytes >> 20) MiB; per shard (in, out): \(perShard)")
        }

        /// Packets in and out per shard, from the statistics line `tcpkit tun serve` ends with.
        static func shardCounts(_ log: String) -> [(received: Int, sent: Int)] {
            guard let line = log.split(separator: "\n").last(where: { $0.contains("shards: ") }),
                  let part = line.split(separator: ";").first(where: { $0.contains("shards: ") }) else { return [] }
            let list = part.split(separator: ":", maxSplits: 1).last ?? ""
            return list.split(separator: ",").compactMap { entry in
                let numbers = entry.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
                return numbers.count == 2 ? (numbers[0], numbers[1]) : nil
            }
        }

        /// `TUNDevice.openQueues` attaches every queue to one interface: the kernel lists them,
        /// and a second interface of the same name cannot be a single-queue one.
        @Test(.interop("ip")) func openQueues() throws {
            guard Interop.available("multi-queue TUN") else { return }
            let ns = try NetNamespace()
            defer { ns.delete() }
            let queues = try TUNDevice.openQueues(name: "tcpkitmq0", count: 3, namespace: ns.name)
            #expect(queues.count == 3)
            let link = ns.run(["ip", "-d", "link", "show", "tcpkitmq0"], seconds: 10)
            #expect(link.output.contains("multi_queue") && link.output.contains("numqueues 3"), "\(link)")
            #expect(throws: TUNError.nameInUse("tcpkitmq0")) {
                _ = try TUNDevice(name: "tcpkitmq0", namespace: ns.name)
            }
            #expect(throws: TUNError.self) { _ = try TUNDevice.openQueues(name: "tcpkitmq1", count: 0, namespace: ns.name) }
        }
    }
}
