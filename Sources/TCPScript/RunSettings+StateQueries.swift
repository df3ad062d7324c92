import Foundation
import TCPCore
import TCPWire

/// The state queries scripts run, answered from the engine's socket table
/// (`TCPStack.socketTable()`) in the output format of the real tool, so that the pipes scripts
/// put after them (`| grep ... | grep -c STATE | grep N`) exit as they would on that system:
/// Linux's `ss -tan [state S ...] [sport|dport = :P]`, `netstat -tn[a]` and `/proc/net/tcp[6]`;
/// FreeBSD's `netstat -n -p tcp [-a]` and `sockstat [-46lcqs] -P tcp [-p PORTS]`. The tool's
/// process columns (user, command, pid, fd) name packetdrill.
extension RunSettings {
    mutating func stateQuery(_ tool: String, _ args: [String], host: ShellHost?, command: String) -> CommandResult {
        let table = host?.table ?? []
        let result: Result<[String], StateQueryError>
        switch tool {
        case "ss": result = Self.ss(args, table)
        case "netstat": result = Self.netstat(args, table)
        default: result = Self.sockstat(args, table)
        }
        switch result {
        case .success(let lines): return .status(0, .lines(lines))
        case .failure(let e): return .unsupported("shell command `\(command)`: \(e.message)")
        }
    }

    struct StateQueryError: Error { var message: String }

    // MARK: Linux

    static func ssName(_ s: TCPState) -> String {
        switch s {
        case .closed: "UNCONN"
        case .listen: "LISTEN"
        case .synSent: "SYN-SENT"
        case .synReceived: "SYN-RECV"
        case .established: "ESTAB"
        case .finWait1: "FIN-WAIT-1"
        case .finWait2: "FIN-WAIT-2"
        case .closeWait: "CLOSE-WAIT"
        case .closing: "CLOSING"
        case .lastAck: "LAST-ACK"
        case .timeWait: "TIME-WAIT"
        }
    }

    /// ss's state filter names (ss(8) STATE-FILTER).
    static func ssStates(_ name: String) -> Set<TCPState>? {
        let all = Set(TCPState.allCases)
        switch name {
        case "all": return all
        case "connected": return all.subtracting([.listen, .closed])
        case "synchronized": return all.subtracting([.listen, .closed, .synSent])
        case "bucket": return [.synReceived, .timeWait]
        case "big": return all.subtracting([.synReceived, .timeWait])
        case "established": return [.established]
        case "syn-sent": return [.synSent]
        case "syn-recv": return [.synReceived]
        case "fin-wait-1": return [.finWait1]
        case "fin-wait-2": return [.finWait2]
        case "time-wait": return [.timeWait]
        case "closed": return [.closed]
        case "close-wait": return [.closeWait]
        case "last-ack": return [.lastAck]
        case "listening", "listen": return [.listen]
        case "closing": return [.closing]
        default: return nil
        }
    }

    static func colonAddress(_ a: SocketAddress?, listenerPort: UInt16? = nil) -> String {
        guard let a else { return "*:*" }
        switch a.address {
        case .v4: return "\(a.address):\(a.port)"
        case .v6: return "[\(a.address)]:\(a.port)"
        }
    }

    static func ss(_ args: [String], _ table: [TCPStack.SocketTableEntry]) -> Result<[String], StateQueryError> {
        var all = false, listening = false, header = true, family: Bool? = nil
        var states: Set<TCPState>? = nil
        var excluded: Set<TCPState> = []
        var portFilters: [(local: Bool, equal: Bool, port: UInt16)] = []
        var k = 0
        while k < args.count {
            let a = args[k]
            if a == "state" || a == "exclude" {
                guard k + 1 < args.count, let s = ssStates(args[k + 1]) else {
                    return .failure(StateQueryError(message: "ss state filter \(k + 1 < args.count ? args[k + 1] : "") is not emulated"))
                }
                if a == "state" { states = (states ?? []).union(s) } else { excluded.formUnion(s) }
                k += 2
                continue
            }
            if a == "sport" || a == "dport" {
                guard k + 2 < args.count, ["=", "==", "eq", "!=", "ne"].contains(args[k + 1]),
                      let p = UInt16(args[k + 2].trimmingPrefix(":")) else {
                    return .failure(StateQueryError(message: "ss filter `\(args[k...].joined(separator: " "))` is not emulated"))
                }
                portFilters.append((a == "sport", ["=", "==", "eq"].contains(args[k + 1]), p))
                k += 3
                continue
            }
            if a == "and" || a == "&&" { k += 1; continue }
            guard a.hasPrefix("-"), !a.hasPrefix("--") else {
                return .failure(StateQueryError(message: "ss argument \(a) is not emulated"))
            }
            for f in a.dropFirst() {
                switch f {
                case "t", "n": continue
                case "a": all = true
                case "l": listening = true
                case "H": header = false
                case "4": family = false
                case "6": family = true
                default: return .failure(StateQueryError(message: "ss option -\(f) is not emulated"))
                }
            }
            k += 1
        }
        // Without a state filter: connected sockets but TIME-WAIT and SYN-RECV (ss's default),
        // listeners with -l, everything with -a.
        let shown = states ?? (all ? Set(TCPState.allCases) : listening ? [.listen]
                               : Set(TCPState.allCases).subtracting([.listen, .closed, .timeWait, .synReceived]))
        var out: [String] = []
        if header {
            out.append((states == nil ? "State      " : "") + "Recv-Q Send-Q Local Address:Port  Peer Address:Port Process")
        }
        for e in table where shown.contains(e.state) && !excluded.contains(e.state) {
            if let family, e.local.address.isIPv6 != family { continue }
            let ok = portFilters.allSatisfy { f in
                let port = f.local ? e.local.port : (e.remote?.port ?? 0)
                return (port == f.port) == f.equal
            }
            guard ok else { continue }
            let peer = e.remote.map { colonAddress($0) } ?? (e.local.address.isIPv6 ? "[::]:*" : "0.0.0.0:*")
            let row = "\(e.receiveQueue) \(e.sendQueue) \(colonAddress(e.local)) \(peer)"
            out.append(states == nil ? ssName(e.state) + " " + row : row)
        }
        return .success(out)
    }

    static func linuxNetstatName(_ s: TCPState) -> String {
        switch s {
        case .closed: "CLOSE"
        case .listen: "LISTEN"
        case .synSent: "SYN_SENT"
        case .synReceived: "SYN_RECV"
        case .established: "ESTABLISHED"
        case .finWait1: "FIN_WAIT1"
        case .finWait2: "FIN_WAIT2"
        case .closeWait: "CLOSE_WAIT"
        case .closing: "CLOSING"
        case .lastAck: "LAST_ACK"
        case .timeWait: "TIME_WAIT"
        }
    }

    /// `/proc/net/tcp` (IPv4) or `/proc/net/tcp6` (IPv6) as Linux prints them (addresses as the
    /// 32-bit words of network order printed on a little-endian machine, ports in hex).
    func procNetTCP(_ file: String, host: ShellHost?) -> [String]? {
        guard file == "/proc/net/tcp" || file == "/proc/net/tcp6" else { return nil }
        let v6 = file.hasSuffix("6")
        var out = ["  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode"]
        func hex(_ a: IPAddress?, _ port: UInt16) -> String {
            func word(_ w: UInt32) -> String { String(format: "%08X", w.byteSwapped) }
            let addr: String
            switch a {
            case .v4(let v)?: addr = word(v.rawValue)
            case .v6(let v)?:
                addr = [UInt32(v.high >> 32), UInt32(truncatingIfNeeded: v.high), UInt32(v.low >> 32), UInt32(truncatingIfNeeded: v.low)].map(word).joined()
            case nil: addr = String(repeating: "0", count: v6 ? 32 : 8)
            }
            return addr + String(format: ":%04X", port)
        }
        var n = 0
        for e in host?.table ?? [] where e.local.address.isIPv6 == v6 {
            let local = e.state == .listen && e.local.address == IPAddress(v6 ? "::" : "0.0.0.0")! ? hex(nil, e.local.port) : hex(e.local.address, e.local.port)
            let remote = e.remote.map { hex($0.address, $0.port) } ?? hex(nil, 0)
            let queues = String(format: "%08X:%08X", e.state == .listen ? 0 : e.sendQueue, e.receiveQueue)
            out.append(String(format: "%4d: ", n) + "\(local) \(remote) " + String(format: "%02X", Int(LinuxTCPInfo.state(e.state)))
                       + " \(queues) 00:00000000 00000000     0        0 \(1000 + n) 1 0000000000000000 20 4 30 10 -1")
            n += 1
        }
        return out
    }

    // MARK: FreeBSD (and Linux's netstat)

    static func freeBSDName(_ s: TCPState) -> String {
        switch s {
        case .closed: "CLOSED"
        case .listen: "LISTEN"
        case .synSent: "SYN_SENT"
        case .synReceived: "SYN_RCVD"
        case .established: "ESTABLISHED"
        case .finWait1: "FIN_WAIT_1"
        case .finWait2: "FIN_WAIT_2"
        case .closeWait: "CLOSE_WAIT"
        case .closing: "CLOSING"
        case .lastAck: "LAST_ACK"
        case .timeWait: "TIME_WAIT"
        }
    }

    /// FreeBSD's `netstat -n -p tcp [-a] [-4|-6]` (addresses as `A.B.C.D.PORT`), or Linux's
    /// `netstat -t -n [-a]`.
    static func netstat(_ args: [String], _ table: [TCPStack.SocketTableEntry]) -> Result<[String], StateQueryError> {
        var all = false, freeBSD = false, family: Bool? = nil, tcp = false
        var k = 0
        while k < args.count {
            let a = args[k]
            guard a.hasPrefix("-") else { return .failure(StateQueryError(message: "netstat argument \(a) is not emulated")) }
            for f in a.dropFirst() {
                switch f {
                case "n", "W": continue
                case "a": all = true
                case "t": tcp = true
                case "4": family = false
                case "6": family = true
                case "p":
                    guard k + 1 < args.count, args[k + 1] == "tcp" else {
                        return .failure(StateQueryError(message: "netstat -p \(k + 1 < args.count ? args[k + 1] : ""): only tcp is emulated"))
                    }
                    freeBSD = true
                    tcp = true
                    k += 1
                default: return .failure(StateQueryError(message: "netstat option -\(f) is not emulated"))
                }
            }
            k += 1
        }
        guard tcp else { return .failure(StateQueryError(message: "netstat without -t or -p tcp is not emulated")) }
        var out = [freeBSD ? "Active Internet connections\(all ? " (including servers)" : "")" : "Active Internet connections (\(all ? "servers and established" : "w/o servers"))",
                   freeBSD ? "Proto Recv-Q Send-Q Local Address          Foreign Address        (state)"
                           : "Proto Recv-Q Send-Q Local Address           Foreign Address         State"]
        func bsd(_ a: SocketAddress?) -> String {
            guard let a else { return "*.*" }
            let any = a.address == IPAddress("0.0.0.0")! || a.address == IPAddress("::")!
            return (any ? "*" : "\(a.address)") + ".\(a.port)"
        }
        for e in table where all || e.state != .listen {
            if let family, e.local.address.isIPv6 != family { continue }
            let v6 = e.local.address.isIPv6
            if freeBSD {
                out.append("tcp\(v6 ? "6" : "4")       \(e.receiveQueue)      \(e.state == .listen ? 0 : e.sendQueue) \(bsd(e.local)) \(bsd(e.remote)) \(freeBSDName(e.state))")
            } else {
                let peer = e.remote.map { colonAddress($0) } ?? (v6 ? ":::*" : "0.0.0.0:*")
                out.append("tcp\(v6 ? "6" : "")        \(e.receiveQueue)      \(e.state == .listen ? 0 : e.sendQueue) \(colonAddress(e.local)) \(peer) \(linuxNetstatName(e.state))")
            }
        }
        return .success(out)
    }

    /// FreeBSD's `sockstat [-4] [-6] [-l] [-c] [-q] [-s] [-n] -P tcp [-p PORT,...]`.
    static func sockstat(_ args: [String], _ table: [TCPStack.SocketTableEntry]) -> Result<[String], StateQueryError> {
        var v4 = false, v6 = false, listening = false, connected = false, header = true, states = false
        var ports: Set<UInt16>? = nil
        var k = 0
        while k < args.count {
            let a = args[k]
            guard a.hasPrefix("-") else { return .failure(StateQueryError(message: "sockstat argument \(a) is not emulated")) }
            for f in a.dropFirst() {
                switch f {
                case "4": v4 = true
                case "6": v6 = true
                case "l": listening = true
                case "c": connected = true
                case "q": header = false
                case "s": states = true
                case "n", "w", "u", "i", "S": continue
                case "P", "p":
                    guard k + 1 < args.count else { return .failure(StateQueryError(message: "sockstat -\(f) needs an argument")) }
                    let list = args[k + 1].split(separator: ",").map(String.init)
                    if f == "P" {
                        guard list.allSatisfy({ $0 == "tcp" }) else {
                            return .failure(StateQueryError(message: "sockstat -P \(args[k + 1]): only tcp is emulated"))
                        }
                    } else {
                        var set: Set<UInt16> = []
                        for p in list {
                            guard let n = UInt16(p) else { return .failure(StateQueryError(message: "sockstat -p \(p): port ranges are not emulated")) }
                            set.insert(n)
                        }
                        ports = set
                    }
                    k += 1
                default: return .failure(StateQueryError(message: "sockstat option -\(f) is not emulated"))
                }
            }
            k += 1
        }
        if !v4 && !v6 { v4 = true; v6 = true }
        var out: [String] = []
        if header {
            out.append("USER     COMMAND    PID   FD  PROTO  LOCAL ADDRESS         FOREIGN ADDRESS      " + (states ? " PATH STATE   CONN STATE" : ""))
        }
        func addr(_ a: SocketAddress?) -> String {
            guard let a else { return "*:*" }
            let any = a.address == IPAddress("0.0.0.0")! || a.address == IPAddress("::")!
            return (any ? "*" : "\(a.address)") + ":\(a.port)"
        }
        var fd = 3
        for e in table {
            let six = e.local.address.isIPv6
            guard six ? v6 : v4 else { continue }
            if listening && !connected && e.state != .listen { continue }
            if connected && !listening && e.state == .listen { continue }
            if let ports, !ports.contains(e.local.port) && !ports.contains(e.remote?.port ?? 0) { continue }
            // A connection in TIME-WAIT has no socket any more: sockstat shows it without an owner.
            let owner = e.state == .timeWait ? "?        ?          ?     ? " : String(format: "root     packetdrill %-5d %-3d", 1, fd)
            if e.state != .timeWait { fd += 1 }
            out.append("\(owner) tcp\(six ? "6" : "4")   \(addr(e.local))  \(addr(e.remote))" + (states ? "  \(freeBSDName(e.state))" : ""))
        }
        return .success(out)
    }

    // MARK: grep

    /// `grep [-c] [-q] [-v] [-i] [-w] [-x] [-E] [-F] [-h] [-H] [-s] [-e] PATTERN [FILE...]` on the
    /// previous command's output or on /proc/net/tcp[6]; exits 0 when a line is selected, else 1.
    mutating func grep(_ args: [String], input: ShellOutput?, host: ShellHost?, command: String) -> CommandResult {
        var count = false, quiet = false, invert = false, ignoreCase = false, word = false, whole = false
        var extended = false, fixed = false, names: Bool? = nil
        var pattern: String? = nil
        var files: [String] = []
        var k = 0
        var optionsDone = false
        while k < args.count {
            let a = args[k]
            if !optionsDone, a == "--" { optionsDone = true; k += 1; continue }
            if !optionsDone, a.hasPrefix("-"), a.count > 1 {
                for f in a.dropFirst() {
                    switch f {
                    case "c": count = true
                    case "q": quiet = true
                    case "v": invert = true
                    case "i": ignoreCase = true
                    case "w": word = true
                    case "x": whole = true
                    case "E": extended = true
                    case "F": fixed = true
                    case "h": names = false
                    case "H": names = true
                    case "s": continue
                    case "e":
                        guard k + 1 < args.count else { return .unsupported("shell command `\(command)`: grep -e needs a pattern") }
                        pattern = args[k + 1]
                        k += 1
                    default: return .unsupported("shell command `\(command)`: grep option -\(f) is not emulated")
                    }
                }
                k += 1
                continue
            }
            if pattern == nil { pattern = a } else { files.append(a) }
            k += 1
        }
        guard let pattern else { return .unsupported("shell command `\(command)`: grep without a pattern") }
        var lines: [String] = []
        if files.isEmpty {
            switch input {
            case .lines(let l)?: lines = l
            case .unknown(let why)?: return .unsupported(why)
            case nil: return .unsupported("shell command `\(command)`: grep reading standard input")
            }
        } else {
            let prefix = names ?? (files.count > 1)
            for f in files {
                guard let l = procNetTCP(f, host: host) else { return .unsupported("shell command `\(command)`: reading \(f) is not emulated") }
                lines += l.map { prefix ? "\(f):\($0)" : $0 }
            }
        }
        var regex = fixed ? NSRegularExpression.escapedPattern(for: pattern) : extended ? pattern : Self.extendedFromBasic(pattern)
        if word { regex = "(?<![A-Za-z0-9_])(?:\(regex))(?![A-Za-z0-9_])" }
        if whole { regex = "^(?:\(regex))$" }
        guard let re = try? NSRegularExpression(pattern: regex, options: ignoreCase ? [.caseInsensitive] : []) else {
            return .unsupported("shell command `\(command)`: grep pattern \(pattern) is not understood")
        }
        let selected = lines.filter { line in
            let hit = re.firstMatch(in: line, range: NSRange(line.startIndex..., in: line)) != nil
            return hit != invert
        }
        let status: Int32 = selected.isEmpty ? 1 : 0
        if quiet { return .status(status, .lines([])) }
        return .status(status, .lines(count ? [String(selected.count)] : selected))
    }

    /// A POSIX basic regular expression as an extended one: `\( \) \{ \} \| \+ \?` are the
    /// operators, the bare characters literals.
    static func extendedFromBasic(_ p: String) -> String {
        var out = ""
        var chars = p.makeIterator()
        while let c = chars.next() {
            if c == "\\" {
                guard let d = chars.next() else { out += "\\\\"; break }
                if "(){}|+?".contains(d) { out.append(d) } else { out += "\\" + String(d) }
            } else if "(){}|+?".contains(c) {
                out += "\\" + String(c)
            } else {
                out.append(c)
            }
        }
        return out
    }
}

private extension String {
    func trimmingPrefix(_ p: String) -> String { hasPrefix(p) ? String(dropFirst(p.count)) : self }
}
