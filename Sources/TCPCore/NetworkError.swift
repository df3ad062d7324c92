/// What the network said about a connection's path: an ICMP error quoting one of its segments
/// (RFC 9293 §3.9.2.2, RFC 1122 §4.2.3.9), or R1 retransmissions without an answer (§3.8.3).
/// Protocol and port unreachable are hard errors (`TCPError.unreachable`); the rest are soft
/// errors (`TCPEvent.softError`), which never abort a connection (MUST-56).
public enum NetworkError: String, Sendable, Hashable, CustomStringConvertible {
    /// ICMP Destination Unreachable code 0, 6, 11; ICMPv6 code 0 (no route).
    case networkUnreachable = "network-unreachable"
    /// ICMP Destination Unreachable code 1, 7, 8, 12; ICMPv6 code 2, 3.
    case hostUnreachable = "host-unreachable"
    /// ICMP Destination Unreachable code 2 (hard error).
    case protocolUnreachable = "protocol-unreachable"
    /// ICMP Destination Unreachable code 3, ICMPv6 code 4 (hard error).
    case portUnreachable = "port-unreachable"
    /// ICMP Destination Unreachable code 5; ICMPv6 code 7 (error in source routing header).
    case sourceRouteFailed = "source-route-failed"
    /// ICMP Destination Unreachable code 9, 10, 13, 14, 15; ICMPv6 code 1, 5, 6.
    case administrativelyProhibited = "administratively-prohibited"
    /// ICMP Time Exceeded (type 11), ICMPv6 type 3.
    case timeExceeded = "time-exceeded"
    /// ICMP Parameter Problem (type 12), ICMPv6 type 4.
    case parameterProblem = "parameter-problem"
    /// R1 retransmissions of a segment went unanswered (RFC 9293 §3.8.3 SHLD-9).
    case retransmissionThreshold = "retransmission-threshold"

    /// RFC 9293 §3.9.2.2 SHLD-26 (codes 2 and 3; code 4 is path MTU discovery's).
    public var isHard: Bool { self == .protocolUnreachable || self == .portUnreachable }

    /// The errno a socket reports for it (Linux's icmp_err_convert; R1 as ETIMEDOUT).
    public var errnoName: String {
        switch self {
        case .networkUnreachable: "ENETUNREACH"
        case .hostUnreachable, .sourceRouteFailed, .timeExceeded: "EHOSTUNREACH"
        case .protocolUnreachable: "ENOPROTOOPT"
        case .portUnreachable: "ECONNREFUSED"
        case .administrativelyProhibited: "EHOSTUNREACH"
        case .parameterProblem: "EPROTO"
        case .retransmissionThreshold: "ETIMEDOUT"
        }
    }

    public var description: String {
        switch self {
        case .networkUnreachable: "network unreachable"
        case .hostUnreachable: "host unreachable"
        case .protocolUnreachable: "protocol unreachable"
        case .portUnreachable: "port unreachable"
        case .sourceRouteFailed: "source route failed"
        case .administrativelyProhibited: "communication administratively prohibited"
        case .timeExceeded: "time exceeded"
        case .parameterProblem: "parameter problem"
        case .retransmissionThreshold: "retransmissions without answer (R1)"
        }
    }

    /// ICMP (type 3) / ICMPv6 (type 1) Destination Unreachable codes (RFC 792, RFC 1812 §5.2.7.1,
    /// RFC 4443 §3.1).
    public static func destinationUnreachable(code: UInt8, ipv6: Bool) -> NetworkError {
        if ipv6 {
            switch code {
            case 0: return .networkUnreachable
            case 1, 5, 6: return .administrativelyProhibited
            case 4: return .portUnreachable
            case 7: return .sourceRouteFailed
            default: return .hostUnreachable
            }
        }
        switch code {
        case 0, 6, 11: return .networkUnreachable
        case 2: return .protocolUnreachable
        case 3: return .portUnreachable
        case 5: return .sourceRouteFailed
        case 9, 10, 13, 14, 15: return .administrativelyProhibited
        default: return .hostUnreachable
        }
    }
}
