import TCPWire

/// What the driver does with an IP packet that is not TCP, or with the ICMP ones it answers.
enum NonTCPOutcome: Equatable {
    /// An echo reply of this many bytes was written into the output buffer.
    case reply(Int)
    /// ICMP other than an echo request for one of our addresses (counted, not answered).
    case icmpIgnored
    /// ICMP that is truncated or fails its checksum.
    case icmpMalformed
    /// Neither TCP nor ICMP (UDP, IPv6 extension headers, fragments...).
    case otherProtocol
}

/// ICMP echo (ping) for the stack's own addresses, IPv4 (RFC 792) and IPv6 (RFC 4443 §4).
/// Everything else that is not TCP is classified for the driver's counters.
enum ICMPResponder {
    static let protocolICMPv4: UInt8 = 1
    static let protocolICMPv6: UInt8 = 58

    /// True when `packet` is to be handed to the TCP engine (TCP, or something the engine's parser
    /// must reject and count as malformed); false when it is a well-formed non-TCP IP packet.
    static func isTCPOrUnparsable(_ packet: UnsafeRawBufferPointer) -> Bool {
        guard packet.count >= 1 else { return true }
        switch packet[0] >> 4 {
        case 4: return packet.count < 20 || packet[9] == ipProtocolTCP
        case 6: return packet.count < 40 || packet[6] == ipProtocolTCP
        default: return true
        }
    }

    /// True when `packet` is an ICMP error message (IPv4 Destination Unreachable, Source Quench,
    /// Redirect, Time Exceeded, Parameter Problem; ICMPv6 types below 128, RFC 4443 §2.1): the
    /// engine acts on those that quote one of its segments.
    static func isError(_ packet: UnsafeRawBufferPointer) -> Bool {
        guard packet.count >= 1 else { return false }
        switch packet[0] >> 4 {
        case 4:
            guard packet.count >= 20, packet[9] == protocolICMPv4 else { return false }
            let ihl = Int(packet[0] & 0x0f) * 4
            guard ihl >= 20, packet.count > ihl else { return false }
            switch packet[ihl] {
            case 3, 4, 5, 11, 12: return true
            default: return false
            }
        case 6:
            return packet.count > 40 && packet[6] == protocolICMPv6 && packet[40] < 128
        default:
            return false
        }
    }

    /// Handles a non-TCP packet: an echo request for one of `addresses` gets its reply written
    /// into `out` (an IP packet with our address as source); anything else is classified.
    static func handle(_ packet: UnsafeRawBufferPointer, addresses: [IPAddress], hopLimit: UInt8,
                       identification: UInt16, into out: UnsafeMutableRawBufferPointer) -> NonTCPOutcome {
        switch packet[0] >> 4 {
        case 4: return handleV4(packet, addresses: addresses, hopLimit: hopLimit, identification: identification, into: out)
        case 6: return handleV6(packet, addresses: addresses, hopLimit: hopLimit, into: out)
        default: return .otherProtocol
        }
    }

    static func handleV4(_ packet: UnsafeRawBufferPointer, addresses: [IPAddress], hopLimit: UInt8,
                         identification: UInt16, into out: UnsafeMutableRawBufferPointer) -> NonTCPOutcome {
        guard packet[9] == protocolICMPv4 else { return .otherProtocol }
        let ip: IPv4Header
        do { ip = try IPv4Header.parse(packet) } catch { return .icmpMalformed }
        let message = UnsafeRawBufferPointer(rebasing: packet[ip.headerLength..<Int(ip.totalLength)])
        // RFC 792: type, code, checksum, identifier, sequence number: 8 bytes before the data.
        guard message.count >= 8 else { return .icmpMalformed }
        guard InternetChecksum.compute(message) == 0 else { return .icmpMalformed }
        // RFC 792 "Echo or Echo Reply Message": type 8 asks, type 0 answers; code 0.
        guard message[0] == 8, message[1] == 0, addresses.contains(.v4(ip.destination)) else { return .icmpIgnored }
        let length = 20 + message.count
        guard length <= out.count else { return .icmpIgnored }
        // RFC 1122 §3.2.2.6: the reply returns the request's identifier, sequence number and data.
        // The request's IP options are not echoed (that part is a SHOULD for record route and
        // time stamp; we send none).
        var reply = IPv4Header(source: ip.destination, destination: ip.source, timeToLive: hopLimit,
                               protocolNumber: protocolICMPv4, identification: identification)
        reply.totalLength = UInt16(length)
        reply.dontFragment = false
        _ = try? reply.emit(into: out)
        let body = UnsafeMutableRawBufferPointer(rebasing: out[20..<length])
        body.copyMemory(from: message)
        body[0] = 0          // echo reply
        body[2] = 0; body[3] = 0
        let sum = InternetChecksum.compute(UnsafeRawBufferPointer(body))
        body.storeBytes(of: sum.bigEndian, toByteOffset: 2, as: UInt16.self)
        return .reply(length)
    }

    static func handleV6(_ packet: UnsafeRawBufferPointer, addresses: [IPAddress], hopLimit: UInt8,
                         into out: UnsafeMutableRawBufferPointer) -> NonTCPOutcome {
        guard packet[6] == protocolICMPv6 else { return .otherProtocol }
        let ip: IPv6Header
        do { ip = try IPv6Header.parse(packet) } catch { return .icmpMalformed }
        let message = UnsafeRawBufferPointer(rebasing: packet[40..<(40 + Int(ip.payloadLength))])
        // RFC 4443 §4.1: type, code, checksum, identifier, sequence number.
        guard message.count >= 8 else { return .icmpMalformed }
        // RFC 4443 §2.3: the checksum covers the RFC 8200 §8.1 pseudo-header too.
        guard ICMPMessage.icmpv6Checksum(source: ip.source, destination: ip.destination, message: message) == 0 else { return .icmpMalformed }
        // RFC 4443 §4.1/§4.2: echo request 128, echo reply 129, code 0. Requests to a multicast
        // address are not answered (only our unicast addresses are in `addresses`).
        guard message[0] == 128, message[1] == 0, addresses.contains(.v6(ip.destination)) else { return .icmpIgnored }
        let length = 40 + message.count
        guard length <= out.count else { return .icmpIgnored }
        var reply = IPv6Header(source: ip.destination, destination: ip.source, hopLimit: hopLimit, nextHeader: protocolICMPv6)
        reply.payloadLength = UInt16(message.count)
        _ = try? reply.emit(into: out)
        let body = UnsafeMutableRawBufferPointer(rebasing: out[40..<length])
        body.copyMemory(from: message)
        body[0] = 129
        body[2] = 0; body[3] = 0
        let sum = ICMPMessage.icmpv6Checksum(source: reply.source, destination: reply.destination, message: UnsafeRawBufferPointer(body))
        body.storeBytes(of: sum.bigEndian, toByteOffset: 2, as: UInt16.self)
        return .reply(length)
    }
}
