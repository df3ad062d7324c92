import ArgumentParser
import TCPSim

struct ScenariosCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "scenarios", abstract: "List the scenarios.")

    @Option(help: "Language of the summaries: en or zh.")
    var lang: Language = .en

    func run() {
        Scenario.catalog(lang).forEach { print($0) }
    }
}
