import TCPCore
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
    /// Whose defaults the run starts from; nil: chosen from the script's own setting names
    /// (`net.ipv4.*` Linux, `net.inet.*` / `kern.ipc.*` FreeBSD, none TCPKit's).
    public var profile: TCPConfiguration.Profile?
    /// The script's directory: its shell commands run from there (packetdrill runs scripts from
    /// their directory), so script files they name are found from it. `ScriptSuite` sets it.
    public var scriptDirectory: String?

    public init(strict: Bool = false, recordTimeline: Bool = false, seed: UInt64 = 1, defines: [String: String] = [:],
                profile: TCPConfiguration.Profile? = nil, scriptDirectory: String? = nil) {
        self.strict = strict
        self.recordTimeline = recordTimeline
        self.seed = seed
        self.defines = defines
        self.profile = profile
        self.scriptDirectory = scriptDirectory
    }
}
