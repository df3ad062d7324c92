/// The languages of the explanations.
public enum Language: String, Sendable, CaseIterable {
    case en
    /// Chinese (Simplified), the language of the source notes.
    case zh
}

/// What happened in a scenario and why, in each language: one paragraph a line.
public struct Explanation: Sendable {
    public var en: [String]
    public var zh: [String]
    public init(en: [String], zh: [String]) {
        precondition(en.count == zh.count, "every paragraph in both languages")
        self.en = en
        self.zh = zh
    }
    public subscript(_ language: Language) -> [String] { language == .en ? en : zh }
}
