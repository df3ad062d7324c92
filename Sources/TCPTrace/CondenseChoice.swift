/// Condensed text ladders (`--condense`, `LadderRenderer.condense`): `auto` condenses runs with
/// more than `CondenseChoice.autoThreshold` segments.
public enum CondenseChoice: String, Sendable, CaseIterable {
    case auto, always, never

    public static let autoThreshold = 60
    /// Segments drawn at each end of a condensed stretch.
    public static let keep = 4

    /// The `LadderRenderer.condense` value for `timeline`: nil draws every segment.
    public func keep(for timeline: Timeline) -> Int? {
        switch self {
        case .always: return Self.keep
        case .never: return nil
        case .auto:
            let sends = timeline.entries.lazy.filter { if case .send = $0.kind { true } else { false } }.count
            return sends > Self.autoThreshold ? Self.keep : nil
        }
    }
}
