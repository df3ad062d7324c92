// TCPScript: packetdrill-format scripts run against the engine in-process, on virtual time.
//
// - `ScriptParser` reads the packetdrill script language (Lexer.swift, Parser.swift, AST.swift).
// - `ScriptRunner` runs a script against a `TCPStack` (Runner*.swift): the stack is the local side,
//   the script the remote one; outbound packets are checked by a tolerant matcher (`OutboundMatch`).
// - `RunSettings` maps option lines and shell lines (sysctl) onto a `TCPConfiguration`.
// - `ScriptSuite` runs files and directories and prints what `tcpkit script run` prints.
//
// Where this differs from packetdrill, the difference is written down next to the code: most of
// it comes from running in-process (no kernel, no tun device, no Python, no shell).
