import Foundation

/// Any JSON value, keeping integers apart from other numbers (a label 1 must stay an index, not 1.0).
/// Task documents are read into these when no Swift record type describes the file (issue 19).
public indirect enum JSONValue: Equatable, Sendable, Decodable, CustomStringConvertible {
    case text(String)
    case number(Int)
    case real(Double)
    case bool(Bool)
    case list([JSONValue])
    case object([String: JSONValue])
    case null

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null; return }
        // The commonest kinds first (a failed attempt costs a thrown error): strings, integers, lists of strings.
        if let s = try? c.decode(String.self) { self = .text(s); return }
        if let i = try? c.decode(Int.self) { self = .number(i); return }
        if let l = try? c.decode([String].self) { self = .list(l.map(JSONValue.text)); return }
        if let b = try? c.decode(Bool.self) { self = .bool(b); return }
        if let d = try? c.decode(Double.self) { self = .real(d); return }
        if let l = try? c.decode([JSONValue].self) { self = .list(l); return }
        self = .object(try c.decode([String: JSONValue].self))
    }

    /// The value's JSON type in words, as the field errors say it ("a string", "an integer", …).
    public var typeName: String {
        switch self {
        case .text: return "a string"
        case .number: return "an integer"
        case .real: return "a number"
        case .bool: return "a boolean"
        case .list: return "an array"
        case .object: return "a JSON object"
        case .null: return "null"
        }
    }

    public var description: String {
        switch self {
        case .text(let s): return s.debugDescription
        case .number(let i): return String(i)
        case .real(let d): return String(d)
        case .bool(let b): return String(b)
        case .list(let l): return "[" + l.map(\.description).joined(separator: ", ") + "]"
        case .object(let o):
            return "{" + o.keys.sorted().map { "\($0.debugDescription): \(o[$0]!)" }.joined(separator: ", ") + "}"
        case .null: return "null"
        }
    }

    /// The value at a dotted path ("choices.text", "answers[0]"), nil when any step is absent.
    public func value(at path: String) -> JSONValue? {
        var current: JSONValue? = self
        for step in FieldPath.steps(path) {
            switch (current, step) {
            case (.object(let o)?, .key(let k)): current = o[k]
            case (.list(let l)?, .index(let i)) where l.indices.contains(i): current = l[i]
            default: return nil
            }
        }
        return current
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral
{
    public init(stringLiteral value: String) { self = .text(value) }
    public init(integerLiteral value: Int) { self = .number(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .list(elements) }
}

/// Dotted field paths with list indices: "choices.text", "answers[0]", "a.b[2].c".
public enum FieldPath {
    public enum Step: Equatable { case key(String), index(Int) }

    public static func steps(_ path: String) -> [Step] {
        var out: [Step] = []
        for part in path.split(separator: ".", omittingEmptySubsequences: false) {
            var rest = Substring(part)
            if let lb = rest.firstIndex(of: "[") {
                out.append(.key(String(rest[..<lb])))
                rest = rest[lb...]
                while rest.hasPrefix("["), let rb = rest.firstIndex(of: "]") {
                    out.append(
                        Int(rest[rest.index(after: rest.startIndex)..<rb]).map { .index($0) } ?? .key(String(rest)))
                    rest = rest[rest.index(after: rb)...]
                }
            } else {
                out.append(.key(String(rest)))
            }
        }
        return out
    }
}
