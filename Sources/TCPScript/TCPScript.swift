// TCPScript: packetdrill-format scripts against the engine (issue 3).
