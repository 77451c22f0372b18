import Foundation

// Typed records for the four similarity-study tasks (paper §3.1; field names from data/README.md and
// each folder's PROVENANCE.md).

/// PIQA validation (`piqa/validation.jsonl`): a goal, two solutions, `label` 0 → sol1, 1 → sol2.
public struct PIQARecord: JSONLRecord, Equatable {
    public let goal: String
    public let sol1: String
    public let sol2: String
    public let label: Int

    /// The correct solution (`sol1` for label 0, `sol2` for label 1).
    public var correctSolution: String { label == 0 ? sol1 : sol2 }

    public func validate(file: String, line: Int) throws {
        guard label == 0 || label == 1 else {
            throw DatasetError.invalidValue(
                file: file, line: line, field: "label", reason: "must be 0 or 1, not \(label)")
        }
    }
}

/// GSM8K (`gsm8k/test.jsonl`, `gsm8k/train.jsonl`): a question and a worked answer ending "#### N".
public struct GSM8KRecord: JSONLRecord, Equatable {
    public let question: String
    public let answer: String

    /// The final answer: the text after the last "#### ", trimmed.
    public var finalAnswer: String {
        guard let r = answer.range(of: "#### ", options: .backwards) else { return answer }
        return answer[r.upperBound...].trimmingCharacters(in: .whitespacesAndNewlines)
    }

    public func validate(file: String, line: Int) throws {
        guard answer.contains("#### ") else {
            throw DatasetError.invalidValue(
                file: file, line: line, field: "answer", reason: "has no final answer after \"#### \"")
        }
    }
}

/// WMT24 en→de/en→zh (`wmt/wmt24_en-de_en-zh.test.jsonl` and its `short500` subset).
public struct WMT24Record: JSONLRecord, Equatable {
    public let segID: Int
    public let docID: String
    public let domain: String
    /// The English source segment.
    public let src: String
    public let refDE: String
    public let refDE_B: String
    public let refZH: String

    enum CodingKeys: String, CodingKey {
        case segID = "seg_id", docID = "doc_id", domain, src
        case refDE = "ref_de", refDE_B = "ref_de_B", refZH = "ref_zh"
    }
}

/// WMT22 en→zh (`wmt/wmt22_en-zh.test.jsonl`).
public struct WMT22Record: JSONLRecord, Equatable {
    public let docID: String
    public let domain: String
    public let segID: Int
    public let src: String
    public let refZH: String
    public let refZH_B: String

    enum CodingKeys: String, CodingKey {
        case docID = "doc_id", domain, segID = "seg_id", src, refZH = "ref_zh", refZH_B = "ref_zh_B"
    }
}

/// WEC-Eng dev (`wec/dev.jsonl`): one event mention with its context (PROVENANCE.md).
public struct WECRecord: JSONLRecord, Equatable {
    public let mentionID: String
    public let corefChain: Int
    public let corefLink: String
    public let docID: String
    /// The context as tokens; `context` is these joined by single spaces.
    public let mentionContext: [String]
    /// Token indices of the mention span inside `mentionContext`.
    public let tokensNumber: [Int]
    public let tokensStr: String
    public let mentionHead: String
    public let mentionHeadLemma: String
    public let mentionHeadPos: String
    public let mentionNER: String
    public let context: String
    public let spanCharStart: Int
    public let spanCharEnd: Int

    enum CodingKeys: String, CodingKey {
        case mentionID = "mention_id", corefChain = "coref_chain", corefLink = "coref_link", docID = "doc_id"
        case mentionContext = "mention_context", tokensNumber = "tokens_number", tokensStr = "tokens_str"
        case mentionHead = "mention_head", mentionHeadLemma = "mention_head_lemma", mentionHeadPos = "mention_head_pos"
        case mentionNER = "mention_ner", context, spanCharStart = "span_char_start", spanCharEnd = "span_char_end"
    }

    public func validate(file: String, line: Int) throws {
        guard 0 <= spanCharStart, spanCharStart <= spanCharEnd, spanCharEnd <= context.unicodeScalars.count else {
            throw DatasetError.invalidValue(
                file: file, line: line, field: "span_char_end",
                reason: "lies outside the context (\(spanCharStart)..<\(spanCharEnd))")
        }
        guard tokensNumber.allSatisfy({ mentionContext.indices.contains($0) }) else {
            throw DatasetError.invalidValue(
                file: file, line: line, field: "tokens_number",
                reason: "points outside mention_context (\(mentionContext.count) tokens)")
        }
    }
}
