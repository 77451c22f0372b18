import Foundation

// Records of the other JSONL sets in data/README.md, checked field by field by `lisa data check`
// (the evaluation stages read them through these types too).

/// `nq_open/validation.jsonl`.
public struct NQOpenRecord: JSONLRecord, Equatable { public let question: String; public let answer: [String] }

/// `mmlu/test.jsonl`, `mmlu/dev.jsonl`.
public struct MMLURecord: JSONLRecord, Equatable {
    public let subject: String, question: String, choices: [String], answer: Int
    public func validate(file: String, line: Int) throws {
        guard choices.indices.contains(answer) else {
            throw DatasetError.invalidValue(
                file: file, line: line, field: "answer", reason: "is \(answer) but there are \(choices.count) choices")
        }
    }
}

/// `arc_easy/test.jsonl`.
public struct ARCEasyRecord: JSONLRecord, Equatable {
    public let idx: Int, question: String, choices: [String], answer: Int
    public let choicesPadded: Bool
    enum CodingKeys: String, CodingKey { case idx, question, choices, answer, choicesPadded = "choices_padded" }
}

/// `openbookqa/test.jsonl`.
public struct OpenBookQARecord: JSONLRecord, Equatable {
    public let idx: Int, questionStem: String, choices: [String], answer: Int
    enum CodingKeys: String, CodingKey { case idx, questionStem = "question_stem", choices, answer }
}

/// `boolq/validation.jsonl`.
public struct BoolQRecord: JSONLRecord, Equatable {
    public let idx: Int, question: String, passage: String, answer: Bool
}

/// `lambada_openai/test.jsonl` (`text == context + " " + target`).
public struct LambadaRecord: JSONLRecord, Equatable {
    public let idx: Int, text: String, context: String, target: String
}

/// `triviaqa/llmfoundry_subset3000.jsonl`.
public struct TriviaQARecord: JSONLRecord, Equatable {
    public let idx: Int, question: String, answer: String, aliases: [String]
}

/// `hellaswag/validation.jsonl`.
public struct HellaSwagRecord: JSONLRecord, Equatable {
    public let ind: Int, activityLabel: String, ctx: String, endings: [String], label: Int
    enum CodingKeys: String, CodingKey { case ind, activityLabel = "activity_label", ctx, endings, label }
}

/// `text_corpus/train.jsonl`.
public struct TextCorpusRecord: JSONLRecord, Equatable {
    public let source: String, doc: String, chunk: Int, text: String
}
