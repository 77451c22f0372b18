import Datasets
import Foundation

/// One field of a document, as the templates see it: any JSON value (issue 19; `.text`, `.number`, `.list`, …).
public typealias DocValue = JSONValue

/// One task document: its 0-based line in the data file, the file, and its fields as the file holds them.
public struct Document: Equatable, Sendable {
    public let index: Int
    public let fields: [String: DocValue]
    /// The data file (for errors naming file:line); empty for built-in exemplars.
    public let file: String

    /// The fields as Stencil context values, converted once (templates read each document several times).
    private let converted: ConvertedFields

    public init(index: Int, fields: [String: DocValue], file: String = "") {
        self.index = index; self.fields = fields; self.file = file; converted = ConvertedFields(fields)
    }

    public static func == (a: Document, b: Document) -> Bool {
        a.index == b.index && a.fields == b.fields && a.file == b.file
    }

    /// The value at a dotted path ("choices.text", "choices[0]").
    public func value(at path: String) -> DocValue? { DocValue.object(fields).value(at: path) }

    /// The documents of a JSONL data file, each checked against the task file's declared fields.
    public static func load(url: URL, schema: RecordSchema?) throws -> [Document] {
        try readJSONLObjects(from: url, schema: schema).enumerated().map {
            Document(index: $0.offset, fields: $0.element, file: url.path)
        }
    }

    /// GSM8K's fixed chain-of-thought exemplars as documents (`question`, `target`).
    public static var gsm8kExemplars: [Document] {
        gsm8kChainOfThoughtExemplars.enumerated().map {
            Document(
                index: $0.offset, fields: ["question": .text($0.element.question), "target": .text($0.element.answer)])
        }
    }

    var stencilFields: [String: Any] { converted.value }
}

/// A document's fields as Stencil values, computed on first use (immutable afterwards).
final class ConvertedFields: @unchecked Sendable {
    private let fields: [String: DocValue]
    private let lock = NSLock()
    private var cached: [String: Any]?

    init(_ fields: [String: DocValue]) { self.fields = fields }

    var value: [String: Any] {
        lock.lock(); defer { lock.unlock() }
        if let cached { return cached }
        let v = fields.mapValues(\.stencilValue)
        cached = v
        return v
    }
}

extension JSONValue {
    /// The value as Stencil sees it (JSON null as Python's None, so that it prints "None" and is not "undefined").
    var stencilValue: Any {
        switch self {
        case .text(let s): return s
        case .number(let i): return i
        case .real(let d): return d
        case .bool(let b): return b
        case .null: return PyNone()
        case .list(let l): return l.map(\.stencilValue)
        case .object(let o): return o.mapValues(\.stencilValue)
        }
    }
}
