import ArgumentParser

@main
struct TCPKitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tcpkit",
        abstract: "Watch TCP open, carry data and close, segment by segment.",
        subcommands: [ScenarioCommand.self, ScenariosCommand.self, ScriptCommand.self, SimulateCommand.self, TunCommand.self],
        defaultSubcommand: ScenarioCommand.self
    )
}
