/// CUBIC's state (RFC 9438 §4), in segments and seconds.
struct Cubic {
    /// RFC 9438 §5: C = 0.4, β_cubic = 0.7, α_cubic = 3·(1 - β)/(1 + β).
    static let c = 0.4
    static let beta = 0.7
    static let alpha = 3 * (1 - beta) / (1 + beta)
    /// §4.7 fast convergence.
    static let fastConvergence = true

    /// W_max: the window just before the last reduction (segments).
    var wMax = 0.0
    /// cwnd just before the last reduction (segments), for α_cubic (§4.3).
    var cwndPrior = 0.0
    /// Start of the current congestion-avoidance stage (valid when `inEpoch`).
    var epochStart = Instant.zero
    var cwndEpoch = 0.0
    var k = 0.0
    /// W_est, the Reno-friendly estimate (segments).
    var wEst = 0.0
    /// Growth below one byte carried to the next ACK.
    var remainder = 0.0
    /// The last reduction came from a timeout (§4.8).
    var afterTimeout = false
    /// A congestion-avoidance stage is running (it starts at its first ACK).
    var inEpoch = false

    /// W_cubic(t) = C·(t - K)³ + W_max (RFC 9438 §4.2, Figure 1), t in seconds.
    func window(at t: Double) -> Double {
        let d = t - k
        return Self.c * d * d * d + wMax
    }

    /// §4.6 and §4.7: the new ssthresh (bytes) after a congestion event at `cwnd` bytes.
    mutating func multiplicativeDecrease(cwnd: Int, mss: Int) -> Int {
        let w = Double(cwnd) / Double(mss)
        // §4.7: a loss before the window got back to the last W_max means another flow took
        // bandwidth: release some more by remembering a lower W_max.
        if Self.fastConvergence && w < wMax {
            wMax = w * (1 + Self.beta) / 2
        } else {
            wMax = w
        }
        cwndPrior = w
        inEpoch = false
        afterTimeout = false
        remainder = 0
        // §4.6: ssthresh = cwnd·β_cubic (the deployed choice; the RFC permits FlightSize), at
        // least 2 segments.
        return max(Int(Double(cwnd) * Self.beta), 2 * mss)
    }

    /// One ACK of `acked` bytes in congestion avoidance (§4.2–§4.5).
    mutating func congestionAvoidance(cwnd: inout Int, acked: Int, mss: Int, srtt: Int64?, now: Instant) {
        let segment = Double(mss)
        var w = (Double(cwnd) + remainder) / segment
        if !inEpoch {
            // §4.2: a new stage. K = ∛((W_max - cwnd_epoch)/C); after a timeout (§4.8), or when
            // the window is already past W_max (slow start ended without a loss), the curve
            // starts at its plateau: K = 0, W_max = cwnd_epoch.
            epochStart = now
            inEpoch = true
            cwndEpoch = w
            if afterTimeout || wMax <= w {
                wMax = w
                k = 0
            } else {
                k = ((wMax - w) / Self.c).cubeRoot
            }
            afterTimeout = false
            wEst = w   // §4.3: W_est starts at cwnd_epoch
        }
        let t = Double((now - epochStart).nanoseconds) / 1e9
        let rtt = Double(srtt ?? 0) / 1e9
        let ackedSegments = Double(acked) / segment
        // §4.3: W_est grows by α_cubic per window of ACKed segments; α_cubic becomes 1 once
        // W_est reaches cwnd_prior.
        let alpha = wEst >= cwndPrior ? 1.0 : Self.alpha
        wEst += alpha * ackedSegments / w
        if window(at: t) < wEst {
            // §4.3 Reno-friendly region: cwnd = W_est.
            w = max(w, wEst)
        } else {
            // §4.4/§4.5 concave and convex regions: aim at W_cubic(t + RTT), clamped to
            // [cwnd, 1.5·cwnd], and move (target - cwnd)/cwnd per ACKed segment.
            let target = min(max(window(at: t + rtt), w), 1.5 * w)
            w += (target - w) / w * ackedSegments
        }
        let bytes = w * segment
        let whole = bytes.rounded(.down)
        if whole >= Double(Int.max / 2) {
            cwnd = Int.max / 2
            remainder = 0
        } else {
            cwnd = max(cwnd, Int(whole))
            remainder = bytes - whole
        }
    }
}

extension Double {
    /// The real cube root (RFC 9438's cubic_root).
    var cubeRoot: Double {
        guard self != 0 else { return 0 }
        let r = CubeRoot.of(Swift.abs(self))
        return self < 0 ? -r : r
    }
}

/// Cube root without Foundation: Newton's method from a power-of-two first guess.
enum CubeRoot {
    static func of(_ x: Double) -> Double {
        guard x > 0, x.isFinite else { return x }
        var y = Double(sign: .plus, exponent: x.exponent / 3, significand: 1)
        for _ in 0..<60 {
            let next = (2 * y + x / (y * y)) / 3
            if Swift.abs(next - y) <= 1e-15 * next { return next }
            y = next
        }
        return y
    }
}
