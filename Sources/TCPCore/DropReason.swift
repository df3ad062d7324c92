/// Why the stack did not use a segment (or part of one). Counted per reason and traced:
/// "why did it ignore my packet?" is the first question every user asks.
public enum DropReason: String, Sendable, Hashable, CaseIterable {
    case malformed                       // TCPWire could not parse it (see wireErrors counters)
    case badChecksum = "bad-checksum"
    case notOurAddress = "not-our-address"
    case noConnection = "no-connection"  // §3.10.7.1: answered with RST unless it was one
    case listenRST = "listen-rst"        // §3.10.7.2 first: RST to a listener is ignored
    case listenACK = "listen-ack"        // §3.10.7.2 second: ACK to a listener gets RST
    case listenNoSYN = "listen-no-syn"   // §3.10.7.2 fourth, other text or control
    case backlogFull = "backlog-full"
    case synCookieInvalid = "syn-cookie-invalid"  // RFC 4987 §3.6: an ACK in LISTEN whose cookie is not ours; answered with RST
    case synCookieExpired = "syn-cookie-expired"  // a cookie of ours, too old; answered with RST
    case acceptQueueFull = "accept-queue-full"
    case synSentBadACK = "syn-sent-bad-ack"      // §3.10.7.3 first
    case synSentRSTWithoutACK = "syn-sent-rst-without-ack" // §3.10.7.3 second
    case synSentNoSYN = "syn-sent-no-syn"        // §3.10.7.3 fifth
    case unacceptableSequence = "unacceptable-sequence"    // §3.10.7.4 first check
    case rstOutOfWindow = "rst-out-of-window"
    case rstChallenged = "rst-challenged"        // RFC 5961 §3.2
    case rstInTimeWait = "rst-in-time-wait"      // RFC 1337
    case synChallenged = "syn-challenged"        // RFC 5961 §4.2
    case noACKFlag = "no-ack-flag"               // §3.10.7.4 fifth: ACK bit off
    case badACKInSynReceived = "bad-ack-in-syn-received"
    case ackOfUnsentData = "ack-of-unsent-data"  // RFC 5961 §5.2
    case ackTooOld = "ack-too-old"               // RFC 5961 §5.2
    case challengeACKRateLimited = "challenge-ack-rate-limited" // RFC 5961 §7
    case outOfOrder = "out-of-order"             // past a gap, and no reassembly range left to keep it
    case beyondWindow = "beyond-window"          // the part of a segment past RCV.WND
    case textAfterFIN = "text-after-fin"         // §3.10.7.4 seventh, CLOSE-WAIT and later
    case synDataIgnored = "syn-data-ignored"     // data on a SYN is not queued
    case dataAfterClose = "data-after-close"     // RFC 1122 §4.2.2.13: answered with RST
    case paws                                    // RFC 7323 §5.3 R1: TSval older than TS.Recent; answered with ACK
    case missingTimestamp = "missing-timestamp"  // RFC 7323 §3.2: no TSopt after it was negotiated
    case sourceRouted = "source-routed"          // an IPv4 source route with `acceptSourceRoute` off
    case sourceRouteIncomplete = "source-route-incomplete"  // RFC 791: its route not travelled to the end
    // ICMP input (TCPStack+ICMP.swift; RFC 9293 §3.9.2.2, RFC 5927, RFC 1191).
    case icmpNotError = "icmp-not-error"         // an informational ICMP message (echo...) given to the engine
    case icmpNoConnection = "icmp-no-connection" // the quoted four-tuple names no connection (or one in TIME-WAIT)
    case icmpOutOfWindow = "icmp-out-of-window"  // RFC 5927 §4.1: quoted SEQ outside SND.UNA...SND.NXT
    case icmpSourceQuench = "icmp-source-quench" // RFC 9293 MUST-55, RFC 6633: discarded
    case icmpRedirect = "icmp-redirect"          // a routing matter, nothing for TCP
    case icmpMTUNotSmaller = "icmp-mtu-not-smaller" // RFC 1191 §6.1: Fragmentation Needed / Packet Too Big not below the segment size in use
    case icmpMTUDiscoveryOff = "icmp-mtu-discovery-off" // Fragmentation Needed on a connection with path MTU discovery off (IP_PMTUDISC_DONT)
    case icmpMTULocked = "icmp-mtu-locked"       // Fragmentation Needed / Packet Too Big for a destination whose route MTU is locked (RouteMetrics.mtuLocked)
    case invalidSourceAddress = "invalid-source-address"  // RFC 9293 MUST-63: from an unspecified, broadcast or multicast address
    case broadcastDestination = "broadcast-destination"   // RFC 9293 MUST-57: to a broadcast or multicast address
    case synFIN = "syn-fin"                      // SYN and FIN together, with `dropSYNFIN` (FreeBSD drop_synfin)
}
