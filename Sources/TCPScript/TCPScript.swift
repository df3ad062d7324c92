// TCPScript: packetdrill-format scripts run against the engine in-process, on virtual time.
//
// - `ScriptParser` reads the packetdrill script language (Lexer.swift, ScriptParser.swift, Script.swift),
//   with packetdrill's grammar and its semantic checks; errors are `ScriptParseError` values with
//   a line number, never traps.
// - `ScriptRunner` runs a script against a `TCPStack` (ScriptRunner.swift, Run*.swift): the stack is the local side,
//   the script the remote one, time is virtual; outbound packets are checked by a tolerant matcher
//   (documented on `OutboundMatch`), system calls go through a small socket layer with a file
//   descriptor table (Run+Syscalls.swift).
// - `RunSettings` maps option lines and shell lines (Linux and FreeBSD sysctl names) onto a
//   `TCPConfiguration`; what the engine does not have yet is recorded in the result's notes, and
//   anything else makes the script UNSUPPORTED.
// - `ScriptSuite` runs files and directories and prints what `tcpkit script run` prints.
//
// Where this differs from packetdrill (run.c, run_packet.c, run_system_call.c), by design:
// - No kernel, tun device or shell: shell lines are understood only when they set a known TCP
//   setting; unknown shell lines, system calls and socket options outside the supported set make
//   a script UNSUPPORTED (checked before the run, so the verdict does not depend on how far the run
//   gets). `%{ }%` blocks run in python3 with the socket under test's tcp_info (Run+Python.swift)
//   at the block's instant, where packetdrill runs them all at the end with the values of theirs;
//   a `tcpi_` name TCPKit does not fill makes the script UNSUPPORTED before the run.
// - Time is virtual, so there is no scheduling noise: a packet is sent at exactly the instant the
//   engine decides to send it. The tolerance still applies, as written in the script.
// - Inbound sequence numbers are injected as written (the live remote ISN is the script's), so
//   only the local side's numbers are mapped.
// - A system call without `...end` that blocks lets the stack's timers run until it returns
//   (packetdrill's main thread would sit in the call meanwhile); if nothing can wake it, FAIL.
// - Outbound lines take a socket's packets in order, so a packet no line expected fails at the
//   next outbound line of its socket. Packets left over when the script ends are let go (noted):
//   packetdrill reads outbound packets only for an outbound line. With --strict, any is a FAIL.
// - The window of an outbound packet is compared only when the script gave one and set the
//   receive buffer (SO_RCVBUF, tcp_rmem, recvspace), or with --strict.
// - Once the stack holds connections or listeners, SO_SNDBUF, TCP_MAXSEG and TCP_SYNCNT are the
//   socket's own (`ConnectionOptions.sendBufferSize` / `maximumSegmentSize` / `synRetries`;
//   accepted sockets inherit a listener's), and a sysctl that only new connections read
//   (`tcp_timestamps`, `tcp_sack`, `tcp_dsack`, `tcp_window_scaling`, `tcp_syn_retries`,
//   `tcp_synack_retries`, `tcp_ecn`) changes the live stack (`TCPStack.updateConfiguration`).
//   Other buffer sizes (SO_RCVBUF, tcp_rmem/tcp_wmem) and settings are per stack: changing them
//   after the stack holds connections makes the script UNSUPPORTED (unless the value is the
//   same). SO_RCVBUF/SO_SNDBUF set the buffer to the value given (Linux doubles it).
