/// Changing a running stack's configuration (as a sysctl changes a running kernel's): only the
/// settings that a connection reads once, when it opens, may change — connections opened
/// afterwards use the new values, the ones already open keep what they negotiated.
extension TCPStack {
    /// Replaces the configuration with `new` when it differs only in settings that take effect for
    /// connections opened afterwards: `timestamps`, `sack`, `windowScaling` (RFC 7323 and RFC 2018
    /// options offered and accepted on SYNs), `synRetries`, `synAckRetries`, `ecn`,
    /// `ecnSetupRetransmissions`, `connectionOptions` and `dsack` (read per segment, harmless to
    /// change at any time). Any other difference throws `invalidArgument` naming why, and nothing
    /// changes: sizes, timers and algorithms that open connections already use must stay.
    public mutating func updateConfiguration(_ new: TCPConfiguration) throws(TCPError) {
        var same = new
        same.timestamps = configuration.timestamps
        same.sack = configuration.sack
        same.dsack = configuration.dsack
        same.windowScaling = configuration.windowScaling
        same.synRetries = configuration.synRetries
        same.synAckRetries = configuration.synAckRetries
        same.ecn = configuration.ecn
        same.ecnSetupRetransmissions = configuration.ecnSetupRetransmissions
        same.connectionOptions = configuration.connectionOptions
        same.trace = configuration.trace
        guard same == configuration else {
            throw .invalidArgument("only settings that new connections read may change on a running stack")
        }
        configuration = new
        configuration.trace = same.trace
    }
}
