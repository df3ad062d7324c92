import TCPCore

extension RunSettings {
    /// TCP Fast Open's settings: Linux's `net.ipv4.tcp_fastopen` bits (decimal or 0x hex; see
    /// `FastOpenSettings(linuxFlags:)`), `tcp_fastopen_key` ("xxxxxxxx-xxxxxxxx-xxxxxxxx-xxxxxxxx",
    /// an optional backup key after ',' ignored), `tcp_fastopen_blackhole_timeout_sec` (TCPKit
    /// never turns Fast Open off by itself: any value is honoured as "no detection"), the older
    /// kernels' `tcp_fastopen_cookies` (0 empties the cookie cache), and FreeBSD's
    /// `net.inet.tcp.fastopen.server_enable` / `client_enable` (0 or 1).
    mutating func setFastOpen(_ name: String, _ v: String) -> ShellOutcome {
        func number() -> Int? {
            let t = v.lowercased()
            return t.hasPrefix("0x") ? Int(t.dropFirst(2), radix: 16) : Int(t)
        }
        switch name {
        case "net.ipv4.tcp_fastopen":
            guard let n = number(), n >= 0 else { return .unsupported("\(name)=\(v): value not understood") }
            fastOpen = FastOpenSettings(linuxFlags: n, key: fastOpen.key)
            if n & ~0x607 != 0 { notes.append("\(name)=\(v): bits other than 0x1, 0x2, 0x4, 0x200, 0x400 ignored") }
        case "net.ipv4.tcp_fastopen_key":
            guard let key = FastOpenKey(linuxText: v) else { return .unsupported("\(name)=\(v): value not understood") }
            fastOpen.key = key
        case "net.ipv4.tcp_fastopen_blackhole_timeout_sec":
            guard number() != nil else { return .unsupported("\(name)=\(v): value not understood") }
        case "net.ipv4.tcp_fastopen_cookies":
            // Older kernels' size of the client's cookie cache; 0 empties it (as `ip tcp_metrics
            // flush` does on newer ones). TCPKit's cache has no size to set: other values are honoured.
            guard let n = number(), n >= 0 else { return .unsupported("\(name)=\(v): value not understood") }
            if n == 0 { fastOpenCacheFlushes += 1 }
        case "net.inet.tcp.fastopen.server_enable", "net.inet.tcp.fastopen.client_enable":
            guard let n = number(), n == 0 || n == 1 else { return .unsupported("\(name)=\(v): value not understood") }
            if name.hasSuffix("server_enable") {
                fastOpen.server = n == 1
                fastOpen.serverForAllListeners = false
            } else {
                fastOpen.client = n == 1
            }
        default:
            return .unsupported("\(name)=\(v): not a Fast Open setting")
        }
        return .applied
    }
}
