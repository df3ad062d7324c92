import Foundation

/// The kernel's end of a TUN interface: its addresses and link state, set with iproute2's `ip`
/// (a subprocess rather than netlink: three commands at start-up, and the same commands a person
/// would type, which the error messages can show).
public enum KernelSide {
    /// The `ip` binary: the usual places, then PATH.
    static var ipCommand: String {
        for p in ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"] where FileManager.default.isExecutableFile(atPath: p) { return p }
        return "ip"
    }

    /// Gives interface `device` the addresses (`198.18.0.1/24`, `2001:2::1/64`) and brings it up.
    /// `ip addr replace` makes it idempotent. IPv6 addresses skip duplicate address detection
    /// (`nodad`), so they are usable at once. With `namespace`, everything happens in that
    /// network namespace (`ip -n`).
    public static func configure(device: String, addresses: [String], namespace: String? = nil) throws(TUNError) {
        for a in addresses {
            var args = ["addr", "replace", a, "dev", device]
            if a.contains(":") { args = ["-6"] + args + ["nodad"] }
            try ip(args, namespace: namespace)
        }
        try ip(["link", "set", "dev", device, "up"], namespace: namespace)
    }

    /// Runs `ip [-n NAMESPACE] ARGS...`; throws with its output when it fails.
    @discardableResult
    public static func ip(_ arguments: [String], namespace: String? = nil) throws(TUNError) -> String {
        let args = (namespace.map { ["-n", $0] } ?? []) + arguments
        let commandLine = "ip " + args.joined(separator: " ")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: ipCommand)
        p.arguments = args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        p.standardInput = FileHandle.nullDevice
        do { try p.run() } catch {
            throw .commandFailed(command: commandLine, status: -1, output: "cannot run \(ipCommand): \(error)")
        }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard p.terminationStatus == 0 else {
            throw .commandFailed(command: commandLine, status: p.terminationStatus, output: text.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return text
    }
}
