import TCPTrace

/// How a script run is carried out.
public struct ScriptRunOptions: Sendable, Hashable {
    /// Check what the tolerant matcher leaves out: options in their order (NOPs included),
    /// windows always, and no outbound packet left unmatched at the end.
    public var strict: Bool
    /// Keep a `Timeline` of the run (for the ladder diagram of `--verbose`).
    public var recordTimeline: Bool
    /// Seed of the stack's randomness (ISNs, ephemeral ports).
    public var seed: UInt64
    /// packetdrill's `--define NAME=VALUE` (`-D`): the names `#ifdef NAME` / `#ifndef NAME` see,
    /// and what each name reads as where the script writes it (see `ScriptParser.parse`). A name
    /// with the value "" is defined for `#ifdef` only.
    public var defines: [String: String]

    public init(strict: Bool = false, recordTimeline: Bool = false, seed: UInt64 = 1, defines: [String: String] = [:]) {
        self.strict = strict
        self.recordTimeline = recordTimeline
        self.seed = seed
        self.defines = defines
    }
}
