import Datasets
import Foundation

/// One field of a document, as the templates see it.
public enum DocValue: Equatable, Sendable {
    case text(String)
    case list([String])
    case number(Int)
}

/// One task document: its 0-based line in the data file and its fields by the lm-eval names.
public struct Document: Equatable, Sendable {
    public let index: Int
    public let fields: [String: DocValue]
    public init(index: Int, fields: [String: DocValue]) { self.index = index; self.fields = fields }

    /// The record kinds `load(record:url:)` reads.
    public static let recordKinds = ["piqa", "boolq", "arc_easy", "openbookqa", "hellaswag", "mmlu", "lambada", "triviaqa", "nq_open", "gsm8k"]

    /// The documents of a data file, read through the Datasets record named `record`.
    public static func load(record: String, url: URL) throws -> [Document] {
        func read<R: JSONLRecord>(_ t: R.Type, _ f: (R) -> [String: DocValue]) throws -> [Document] {
            try readJSONL(R.self, from: url).enumerated().map { Document(index: $0.offset, fields: f($0.element)) }
        }
        switch record {
        case "piqa": return try read(PIQARecord.self, docFields)
        case "boolq": return try read(BoolQRecord.self, docFields)
        case "arc_easy": return try read(ARCEasyRecord.self, docFields)
        case "openbookqa": return try read(OpenBookQARecord.self, docFields)
        case "hellaswag": return try read(HellaSwagRecord.self, docFields)
        case "mmlu": return try read(MMLURecord.self, docFields)
        case "lambada": return try read(LambadaRecord.self, docFields)
        case "triviaqa": return try read(TriviaQARecord.self, docFields)
        case "nq_open": return try read(NQOpenRecord.self, docFields)
        case "gsm8k": return try read(GSM8KRecord.self, docFields)
        default:
            // TaskSpec.load refuses unknown kinds, naming the task file; this is for callers that skip it.
            throw EvalError.badTaskFile(path: url.path, reason: "the record kind \"\(record)\" is unknown "
                + "(\(recordKinds.joined(separator: ", ")))")
        }
    }

    /// GSM8K's fixed chain-of-thought exemplars as documents (`question`, `target`).
    public static var gsm8kExemplars: [Document] {
        gsm8kChainOfThoughtExemplars.enumerated().map {
            Document(index: $0.offset, fields: ["question": .text($0.element.question), "target": .text($0.element.answer)])
        }
    }
}

// Field names follow the lm-eval datasets so that the templates in tasks/*.json read like the YAMLs.
func docFields(_ r: PIQARecord) -> [String: DocValue] {
    ["goal": .text(r.goal), "sol1": .text(r.sol1), "sol2": .text(r.sol2), "label": .number(r.label)]
}
func docFields(_ r: BoolQRecord) -> [String: DocValue] {
    // lm-eval boolq: doc_to_target "label" where label = int(answer); choices ["no", "yes"].
    ["question": .text(r.question), "passage": .text(r.passage), "label": .number(r.answer ? 1 : 0)]
}
func docFields(_ r: ARCEasyRecord) -> [String: DocValue] {
    ["question": .text(r.question), "choices": .list(r.choices), "answer": .number(r.answer)]
}
func docFields(_ r: OpenBookQARecord) -> [String: DocValue] {
    ["question_stem": .text(r.questionStem), "choices": .list(r.choices), "answer": .number(r.answer)]
}
func docFields(_ r: HellaSwagRecord) -> [String: DocValue] {
    ["activity_label": .text(r.activityLabel), "ctx": .text(r.ctx), "endings": .list(r.endings), "label": .number(r.label)]
}
func docFields(_ r: MMLURecord) -> [String: DocValue] {
    ["subject": .text(r.subject), "question": .text(r.question), "choices": .list(r.choices), "answer": .number(r.answer)]
}
func docFields(_ r: LambadaRecord) -> [String: DocValue] { ["text": .text(r.text)] }
func docFields(_ r: TriviaQARecord) -> [String: DocValue] {
    ["question": .text(r.question), "answer": .text(r.answer), "aliases": .list(r.aliases)]
}
func docFields(_ r: NQOpenRecord) -> [String: DocValue] { ["question": .text(r.question), "answer": .list(r.answer)] }
func docFields(_ r: GSM8KRecord) -> [String: DocValue] {
    ["question": .text(r.question), "answer": .text(r.answer), "final_answer": .text(r.finalAnswer)]
}
