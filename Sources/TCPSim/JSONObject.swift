import TCPTrace

/// An ordered JSON object (keys print in insertion order).
public struct JSONObject: Sendable {
    var keys: [String] = []
    var values: [String: JSONValue] = [:]
    public init() {}
    public subscript(key: String) -> JSONValue? {
        get { values[key] }
        set {
            if values[key] == nil { keys.append(key) }
            values[key] = newValue
        }
    }
}

public indirect enum JSONValue: Sendable {
    case string(String)
    case int(Int)
    case double(Double)
    case bool(Bool)
    case null
    case raw(String)
    case array([JSONValue])
    case object(JSONObject)

    public var encoded: String {
        switch self {
        case .string(let s): return JSONLinesRenderer.string(s)
        case .int(let n): return String(n)
        case .double(let x): return x.isFinite ? (x == x.rounded() && abs(x) < 1e15 ? String(Int64(x)) : String(x)) : "null"
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        case .raw(let s): return s
        case .array(let xs): return "[" + xs.map(\.encoded).joined(separator: ",") + "]"
        case .object(let o): return "{" + o.keys.map { JSONLinesRenderer.string($0) + ":" + o.values[$0]!.encoded }.joined(separator: ",") + "}"
        }
    }
}
