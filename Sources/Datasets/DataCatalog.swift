import Foundation

/// Every file of data/README.md with the record type it must decode to (plain-text files only need to
/// be readable UTF-8).
public struct DataFileSpec: Sendable {
    /// Path relative to the data dir, e.g. "piqa/validation.jsonl".
    public let path: String
    /// Reads and validates the file, returning its number of records (lines for plain text).
    public let check: @Sendable (URL) throws -> Int
}

private func jsonl<R: JSONLRecord>(_ path: String, _ type: R.Type) -> DataFileSpec {
    DataFileSpec(path: path) { try readJSONL(R.self, from: $0).count }
}

private func text(_ path: String) -> DataFileSpec {
    DataFileSpec(path: path) { try readLines($0).count }
}

/// The files `lisa data check` validates, in data/README.md's order.
public let dataCatalog: [DataFileSpec] = [
    jsonl("piqa/validation.jsonl", PIQARecord.self),
    jsonl("gsm8k/train.jsonl", GSM8KRecord.self),
    jsonl("gsm8k/test.jsonl", GSM8KRecord.self),
    jsonl("wmt/wmt24_en-de_en-zh.test.jsonl", WMT24Record.self),
    jsonl("wmt/wmt24_en-de_en-zh.short500.jsonl", WMT24Record.self),
    jsonl("wmt/wmt22_en-zh.test.jsonl", WMT22Record.self),
    jsonl("wec/dev.jsonl", WECRecord.self),
    jsonl("nq_open/validation.jsonl", NQOpenRecord.self),
    jsonl("mmlu/test.jsonl", MMLURecord.self),
    jsonl("mmlu/dev.jsonl", MMLURecord.self),
    jsonl("arc_easy/test.jsonl", ARCEasyRecord.self),
    jsonl("openbookqa/test.jsonl", OpenBookQARecord.self),
    jsonl("boolq/validation.jsonl", BoolQRecord.self),
    jsonl("lambada_openai/test.jsonl", LambadaRecord.self),
    jsonl("triviaqa/llmfoundry_subset3000.jsonl", TriviaQARecord.self),
    jsonl("hellaswag/validation.jsonl", HellaSwagRecord.self),
    jsonl("text_corpus/train.jsonl", TextCorpusRecord.self),
    text("wikitext2/valid.txt"),
    text("wikitext2/test.txt"),
]

/// The outcome of checking one file.
public struct DataCheckResult: Sendable {
    public let path: String
    /// Records read (nil when the file failed).
    public let records: Int?
    /// The first error, as a sentence naming file:line (nil when OK).
    public let error: String?
    public var ok: Bool { error == nil }
}

/// Checks every catalog file under `data`; never throws, so every file gets a line of its own.
public func checkDataDirectory(_ data: DataDirectory, catalog: [DataFileSpec] = dataCatalog) -> [DataCheckResult] {
    catalog.map { spec in
        do {
            let url = try data.file(spec.path)
            return DataCheckResult(path: spec.path, records: try spec.check(url), error: nil)
        } catch {
            return DataCheckResult(path: spec.path, records: nil, error: "\(error)")
        }
    }
}
