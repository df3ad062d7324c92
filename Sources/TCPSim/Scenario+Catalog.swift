extension Scenario {
    /// The list `tcpkit scenarios` prints: one line per scenario, its name and its summary in
    /// `language`, the summaries starting in one column.
    public static func catalog(_ language: Language) -> [String] {
        let width = (all.map(\.name.count).max() ?? 0) + 2
        return all.map { s in
            let pad = max(1, width - s.name.count)
            return s.name + String(repeating: " ", count: pad) + s.summary(language)
        }
    }
}
