import TCPCore

/// The run's profile and the state its shell commands see.
extension Run {
    /// The profile the script's own setting names ask for (`RunSettings.profile(forSettings:)`):
    /// the names its commands set, those in the script files they run included, found by a dry
    /// run of every command.
    func chooseProfile() -> TCPConfiguration.Profile {
        var scratch = RunSettings()
        scratch.scriptDirectory = options.scriptDirectory
        var commands: [ShellCommand] = []
        if let c = script.initCommand { commands.append(c) }
        for e in script.events { if case .command(let c) = e.action { commands.append(c) } }
        for c in commands { _ = scratch.apply(shell: c.text) }
        return RunSettings.profile(forSettings: scratch.settingNames)
    }

    /// The script's own `--profile=linux|freebsd|tcpkit` line (an unknown name is reported by
    /// `RunSettings.apply(option:)`).
    func scriptProfile() -> TCPConfiguration.Profile? {
        script.options.last { $0.name == "profile" }.flatMap { TCPConfiguration.Profile(rawValue: $0.value ?? "") }
    }

    /// What a shell command sees of the run: the stack's socket table.
    func shellHost() -> ShellHost {
        ShellHost(table: stack?.socketTable() ?? [], ipv6: settings.ipv6)
    }

    /// A setting honoured on condition (`RunSettings.ConditionalFeature`) whose behaviour came
    /// into play in this run: the reason a FAIL becomes UNSUPPORTED.
    func conditionalFeatureInPlay() -> String? {
        for f in settings.conditionalFeatures {
            switch f.trigger {
            case .runLongerThan(let d):
                if now.nanoseconds > d.nanoseconds { return f.reason }
            }
        }
        return nil
    }
}
