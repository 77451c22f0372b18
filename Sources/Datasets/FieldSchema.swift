import Foundation

/// The fields a task file declares its data file to hold (issue 19: a new JSONL benchmark needs a task file, no Swift
/// record type). Written in the task file's `fields` object, one entry per field:
///
///     "goal": "string"                                   a required string
///     "note": "string?"                                  optional (may be absent or null)
///     "choices": "string[]"                              a list of strings ("int[]", "object[]", …)
///     "label": {"type": "int", "oneOf": [0, 1]}          a value from a set
///     "answer": {"type": "int", "indexOf": "choices"}    an index into a list field of the same record
///     "answer": {"type": "string", "contains": "#### "}  a string holding a marker
///     "choices": {"type": "object", "fields": {"text": "string[]", "label": "string[]"}}   nested objects
///
/// Types: string, int, number (integer or not), bool, object, any, and `T[]` for lists of T.
public indirect enum FieldType: Equatable, Sendable {
    case string, int, number, bool, any
    case object([String: FieldSpec])
    case list(FieldType)

    /// The type in the words of the field errors.
    var words: String {
        switch self {
        case .string: return "a string"
        case .int: return "an integer"
        case .number: return "a number"
        case .bool: return "a boolean"
        case .any: return "any value"
        case .object: return "a JSON object"
        case .list(let t): return "an array of \(t.plural)"
        }
    }

    var plural: String {
        switch self {
        case .string: return "strings"
        case .int: return "integers"
        case .number: return "numbers"
        case .bool: return "booleans"
        case .any: return "values"
        case .object: return "JSON objects"
        case .list: return "arrays"
        }
    }
}

public struct FieldSpec: Equatable, Sendable, Decodable {
    public var type: FieldType
    public var optional: Bool
    public var oneOf: [JSONValue]?
    /// The name of a list field of the same record that this integer must index.
    public var indexOf: String?
    public var contains: String?

    public init(
        type: FieldType, optional: Bool = false, oneOf: [JSONValue]? = nil, indexOf: String? = nil,
        contains: String? = nil
    ) {
        self.type = type; self.optional = optional; self.oneOf = oneOf; self.indexOf = indexOf; self.contains = contains
    }

    enum Keys: String, CodingKey { case type, optional, oneOf, indexOf, contains, fields }

    public init(from decoder: Decoder) throws {
        if let s = try? decoder.singleValueContainer().decode(String.self) {
            self = try FieldSpec.parse(s, fields: nil, codingPath: decoder.codingPath)
            return
        }
        let c = try decoder.container(keyedBy: Keys.self)
        var spec = try FieldSpec.parse(
            try c.decode(String.self, forKey: .type),
            fields: try c.decodeIfPresent([String: FieldSpec].self, forKey: .fields),
            codingPath: decoder.codingPath)
        if let o = try c.decodeIfPresent(Bool.self, forKey: .optional) { spec.optional = spec.optional || o }
        spec.oneOf = try c.decodeIfPresent([JSONValue].self, forKey: .oneOf)
        spec.indexOf = try c.decodeIfPresent(String.self, forKey: .indexOf)
        spec.contains = try c.decodeIfPresent(String.self, forKey: .contains)
        self = spec
    }

    /// "string", "int?", "string[]", "object[]" (with `fields`) …
    static func parse(_ text: String, fields: [String: FieldSpec]?, codingPath: [CodingKey]) throws -> FieldSpec {
        var t = text.trimmingCharacters(in: .whitespaces)
        let optional = t.hasSuffix("?")
        if optional { t.removeLast() }
        var depth = 0
        while t.hasSuffix("[]") { t.removeLast(2); depth += 1 }
        var base: FieldType
        switch t {
        case "string": base = .string
        case "int": base = .int
        case "number": base = .number
        case "bool": base = .bool
        case "any": base = .any
        case "object": base = .object(fields ?? [:])
        default:
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: codingPath,
                    debugDescription:
                        "is \(text.debugDescription), not one of the types string, int, number, bool, object, any "
                        + "(with [] for a list, ? for optional)"
                ))
        }
        if fields != nil, t != "object" {
            throw DecodingError.dataCorrupted(
                .init(codingPath: codingPath, debugDescription: "declares fields but is not an object type"))
        }
        for _ in 0..<depth { base = .list(base) }
        return FieldSpec(type: base, optional: optional)
    }
}

/// A record's declared fields, checked after it is read.
public struct RecordSchema: Equatable, Sendable {
    public var fields: [String: FieldSpec]
    public init(_ fields: [String: FieldSpec]) { self.fields = fields }

    /// Throws the first fault (in field-name order) as a `DatasetError` naming file:line and the field path.
    public func validate(_ record: [String: JSONValue], file: String, line: Int) throws {
        try Self.check(record, fields, prefix: "", file: file, line: line)
    }

    static func check(
        _ object: [String: JSONValue], _ fields: [String: FieldSpec], prefix: String, file: String, line: Int
    ) throws {
        for name in fields.keys.sorted() {
            let spec = fields[name]!, path = prefix + name
            guard let value = object[name], value != .null else {
                if spec.optional { continue }
                if object[name] == .null {
                    throw DatasetError.wrongType(file: file, line: line, field: path, expected: spec.type.words)
                }
                throw DatasetError.missingField(file: file, line: line, field: path)
            }
            try checkType(value, spec.type, path: path, file: file, line: line)
            if let allowed = spec.oneOf, !allowed.contains(value) {
                let list = allowed.map(\.description)
                let words = list.count == 2 ? "\(list[0]) or \(list[1])" : "one of " + list.joined(separator: ", ")
                throw DatasetError.invalidValue(
                    file: file, line: line, field: path, reason: "must be \(words), not \(value)")
            }
            if let listName = spec.indexOf {
                guard case .number(let i) = value else {
                    throw DatasetError.wrongType(file: file, line: line, field: path, expected: "an integer")
                }
                guard case .list(let l)? = object[listName] else {
                    throw DatasetError.missingField(file: file, line: line, field: prefix + listName)
                }
                guard l.indices.contains(i) else {
                    throw DatasetError.invalidValue(
                        file: file, line: line, field: path, reason: "is \(i) but there are \(l.count) \(listName)")
                }
            }
            if let marker = spec.contains {
                guard case .text(let s) = value, s.contains(marker) else {
                    throw DatasetError.invalidValue(
                        file: file, line: line, field: path, reason: "has no \(marker.debugDescription)")
                }
            }
        }
    }

    static func checkType(_ value: JSONValue, _ type: FieldType, path: String, file: String, line: Int) throws {
        func wrong() -> DatasetError { .wrongType(file: file, line: line, field: path, expected: type.words) }
        switch (type, value) {
        case (.any, _), (.string, .text), (.int, .number), (.number, .number), (.number, .real), (.bool, .bool): return
        case (.object(let fields), .object(let o)): try check(o, fields, prefix: path + ".", file: file, line: line)
        case (.list(let t), .list(let items)):
            for (i, item) in items.enumerated() {
                let p = "\(path)[\(i)]"
                if case .object(let fields) = t, case .object(let o) = item {
                    try check(o, fields, prefix: p + ".", file: file, line: line)
                } else {
                    switch (t, item) {
                    case (.any, _), (.string, .text), (.int, .number), (.number, .number), (.number, .real),
                        (.bool, .bool):
                        continue
                    case (.list, .list): try checkType(item, t, path: p, file: file, line: line)
                    default: throw DatasetError.wrongType(file: file, line: line, field: p, expected: t.words)
                    }
                }
            }
        default: throw wrong()
        }
    }
}

/// The records of a JSONL file as JSON objects, each checked against `schema` (nil: any object). The first bad line
/// throws an error naming file:line (and the field), as the typed readers do.
public func readJSONLObjects(from url: URL, schema: RecordSchema?) throws -> [[String: JSONValue]] {
    let lines = try readLines(url)
    guard lines.contains(where: { !$0.allSatisfy(\.isWhitespace) }) else {
        throw DatasetError.noRecords(path: url.path)
    }
    let decoder = JSONDecoder()
    var out: [[String: JSONValue]] = []
    out.reserveCapacity(lines.count)
    for (i, line) in lines.enumerated() {
        // Lines decode as an object directly (most are); anything else goes through JSONValue for the error sentence.
        // (JSONSerialization would be faster, but on Linux it drops some U+FEFF characters inside strings.)
        let value: JSONValue
        if let o = try? decoder.decode([String: JSONValue].self, from: Data(line.utf8)) {
            value = .object(o)
        } else {
            value = try decodeLine(JSONValue.self, line, file: url.path, line: i + 1, decoder: decoder)
        }
        guard case .object(let o) = value else {
            throw DatasetError.badJSON(file: url.path, line: i + 1, reason: "expected a JSON object at the top level")
        }
        try schema?.validate(o, file: url.path, line: i + 1)
        out.append(o)
    }
    return out
}
