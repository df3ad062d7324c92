extension TCPStatistics {
    /// Adds `other`'s counters to these (a sharded driver sums its engines' counters this way).
    /// `bufferBytes` is a level, not a count: the sum is the bytes all the engines hold.
    public mutating func add(_ other: TCPStatistics) {
        for (reason, n) in other.drops { drops[reason, default: 0] += n }
        for (error, n) in other.malformed { malformed[error, default: 0] += n }
        segmentsReceived += other.segmentsReceived
        fastOpen.add(other.fastOpen)
        segmentsSent += other.segmentsSent
        retransmissions += other.retransmissions
        retransmissionTimeouts += other.retransmissionTimeouts
        duplicateACKs += other.duplicateACKs
        fastRetransmissions += other.fastRetransmissions
        sackBlocksReceived += other.sackBlocksReceived
        sackBlocksIgnored += other.sackBlocksIgnored
        sackScoreboardLimitHits += other.sackScoreboardLimitHits
        peerMSSRaised += other.peerMSSRaised
        dsacksReceived += other.dsacksReceived
        dsacksSent += other.dsacksSent
        sackRecoveries += other.sackRecoveries
        spuriousRecoveriesUndone += other.spuriousRecoveriesUndone
        spuriousTimeoutsUndone += other.spuriousTimeoutsUndone
        rackLosses += other.rackLosses
        lossProbes += other.lossProbes
        renegingsDetected += other.renegingsDetected
        outOfOrderSegments += other.outOfOrderSegments
        resetsSent += other.resetsSent
        challengeACKsSent += other.challengeACKsSent
        challengeACKsLimitedPerConnection += other.challengeACKsLimitedPerConnection
        challengeACKsLimitedGlobally += other.challengeACKsLimitedGlobally
        outOfWindowACKsLimited += other.outOfWindowACKsLimited
        connectionsOpened += other.connectionsOpened
        connectionsAccepted += other.connectionsAccepted
        synCookiesSent += other.synCookiesSent
        synCookiesValid += other.synCookiesValid
        synCookiesInvalid += other.synCookiesInvalid
        bufferBytes += other.bufferBytes
        receiveBufferGrowths += other.receiveBufferGrowths
        sendBufferGrowths += other.sendBufferGrowths
        bufferGrowthsRefused += other.bufferGrowthsRefused
        largeSegmentsSent += other.largeSegmentsSent
        largeSegmentsReceived += other.largeSegmentsReceived
        icmpReceived += other.icmpReceived
        icmpHardErrors += other.icmpHardErrors
        icmpSoftErrors += other.icmpSoftErrors
        pathMTUReductions += other.pathMTUReductions
        retransmissionThresholdsReached += other.retransmissionThresholdsReached
        invalidAddressSegments += other.invalidAddressSegments
        pathMTUBlackHoles += other.pathMTUBlackHoles
        pathMTUProbesSent += other.pathMTUProbesSent
        pathMTUProbesAcknowledged += other.pathMTUProbesAcknowledged
        pathMTUProbesLost += other.pathMTUProbesLost
        ecnConnections += other.ecnConnections
        ecnCEReceived += other.ecnCEReceived
        ecnEchoesReceived += other.ecnEchoesReceived
        ecnReductions += other.ecnReductions
    }
}
