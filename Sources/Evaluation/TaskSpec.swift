import Foundation
import GGUF
import Models

/// One evaluation task as data (`tasks/<name>.json`), mirroring the fields of an lm-evaluation-harness task
/// YAML (lm_eval/tasks/<name>/*.yaml): doc_to_text / doc_to_target / doc_to_choice templates, the target and
/// few-shot delimiters, generation stop strings and the exact-match options.
public struct TaskSpec: Codable, Sendable, Equatable {
    public enum OutputType: String, Codable, Sendable {
        /// Score each choice by the summed log-likelihood of its tokens (acc, acc_norm).
        case multipleChoice = "multiple_choice"
        /// Score one continuation (LAMBADA: acc = greedy match, perplexity).
        case loglikelihood
        /// Greedy decoding up to a stop string, then exact match.
        case generateUntil = "generate_until"
    }

    /// Where few-shot exemplars come from (FIGURES.md C8).
    public enum PoolKind: String, Codable, Sendable {
        /// The first `poolSize` records of the data file, never evaluated in a few-shot run; k drawn per document.
        case head
        /// MMLU: `mmlu/dev.jsonl`, the first k of the document's subject (lm-eval `first_n`).
        case mmluDev = "mmlu_dev"
        /// GSM8K: the fixed chain-of-thought exemplars (lm-eval `gsm8k_cot`, `first_n`).
        case gsm8kCoT = "gsm8k_cot"
    }

    /// How a generated answer is turned into the string compared with the references.
    public enum Extraction: String, Codable, Sendable {
        /// lm-eval `remove_whitespace` + `take_first`.
        case removeWhitespace = "remove_whitespace"
        /// lm-eval gsm8k_cot `strict-match` ("The answer is N"), with `flexible-extract` stored too.
        case gsm8k
    }

    public var name: String
    /// The lm-eval file this definition was read from (for the record; never parsed).
    public var source: String
    /// Data file, relative to the data folder.
    public var dataFile: String
    /// Which Datasets record type the file holds (see `Document.load`).
    public var record: String
    public var outputType: OutputType
    public var description: String
    public var docToText: String
    /// Multiple choice: the gold index ("{label}"); loglikelihood: the continuation; generation: unused.
    public var docToTarget: String
    /// Choice templates, one per choice (PIQA `[sol1, sol2]`, BoolQ `["no", "yes"]`)…
    public var docToChoice: [String]?
    /// …or a list field holding the choices (ARC `choices.text`, HellaSwag `endings`), each through `choiceFilter`.
    public var choicesField: String?
    public var choiceFilter: String?
    /// Generation: the field with the reference answer(s) (a string or a list).
    public var referencesField: String?
    public var targetDelimiter: String
    public var fewshotDelimiter: String
    public var defaultShots: Int
    public var pool: PoolKind
    public var poolSize: Int
    public var until: [String]
    public var maxTokens: Int
    public var extraction: Extraction
    public var ignoreCase: Bool
    public var ignorePunctuation: Bool
    public var regexesToIgnore: [String]
    /// The metric FIGURES.md C8 reports for this task (acc, acc_norm, exact_match, perplexity).
    public var primaryMetric: String

    enum CodingKeys: String, CodingKey {
        case name, source, dataFile, record, outputType, description, docToText, docToTarget, docToChoice, choicesField
        case choiceFilter, referencesField, targetDelimiter, fewshotDelimiter, defaultShots, pool, poolSize, until
        case maxTokens, extraction, ignoreCase, ignorePunctuation, regexesToIgnore, primaryMetric
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        source = try c.decodeIfPresent(String.self, forKey: .source) ?? ""
        dataFile = try c.decode(String.self, forKey: .dataFile)
        record = try c.decode(String.self, forKey: .record)
        outputType = try c.decode(OutputType.self, forKey: .outputType)
        description = try c.decodeIfPresent(String.self, forKey: .description) ?? ""
        docToText = try c.decode(String.self, forKey: .docToText)
        docToTarget = try c.decodeIfPresent(String.self, forKey: .docToTarget) ?? ""
        docToChoice = try c.decodeIfPresent([String].self, forKey: .docToChoice)
        choicesField = try c.decodeIfPresent(String.self, forKey: .choicesField)
        choiceFilter = try c.decodeIfPresent(String.self, forKey: .choiceFilter)
        referencesField = try c.decodeIfPresent(String.self, forKey: .referencesField)
        // lm-eval defaults: target_delimiter " ", fewshot_delimiter "\n\n".
        targetDelimiter = try c.decodeIfPresent(String.self, forKey: .targetDelimiter) ?? " "
        fewshotDelimiter = try c.decodeIfPresent(String.self, forKey: .fewshotDelimiter) ?? "\n\n"
        defaultShots = try c.decodeIfPresent(Int.self, forKey: .defaultShots) ?? 0
        pool = try c.decodeIfPresent(PoolKind.self, forKey: .pool) ?? .head
        poolSize = try c.decodeIfPresent(Int.self, forKey: .poolSize) ?? 50
        until = try c.decodeIfPresent([String].self, forKey: .until) ?? []
        maxTokens = try c.decodeIfPresent(Int.self, forKey: .maxTokens) ?? 32
        extraction = try c.decodeIfPresent(Extraction.self, forKey: .extraction) ?? .removeWhitespace
        ignoreCase = try c.decodeIfPresent(Bool.self, forKey: .ignoreCase) ?? false
        ignorePunctuation = try c.decodeIfPresent(Bool.self, forKey: .ignorePunctuation) ?? false
        regexesToIgnore = try c.decodeIfPresent([String].self, forKey: .regexesToIgnore) ?? []
        primaryMetric = try c.decodeIfPresent(String.self, forKey: .primaryMetric) ?? "acc"
    }

    /// The metrics a run of this task reports (the keys of `TaskResult.metrics`).
    public var metricNames: [String] {
        switch outputType {
        case .multipleChoice: return ["acc", "acc_norm"]
        case .loglikelihood: return ["acc", "perplexity"]
        case .generateUntil: return extraction == .gsm8k ? ["exact_match", "exact_match_flexible"] : ["exact_match"]
        }
    }

    /// Reads and checks one task file.
    public static func load(path: String) throws -> TaskSpec {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw EvalError.badTaskFile(path: path, reason: "it cannot be read: \(FileProblem.reading(path, error))")
        }
        let spec: TaskSpec
        do { spec = try JSONDecoder().decode(TaskSpec.self, from: data) } catch let e as DecodingError {
            throw EvalError.badTaskFile(path: path, reason: decodingReason(e))
        }
        guard Document.recordKinds.contains(spec.record) else {
            throw EvalError.badTaskFile(path: path, reason: "the record kind \"\(spec.record)\" is unknown "
                + "(\(Document.recordKinds.joined(separator: ", ")))")
        }
        if spec.outputType == .multipleChoice, (spec.docToChoice == nil) == (spec.choicesField == nil) {
            throw EvalError.badTaskFile(path: path, reason: "a multiple_choice task needs exactly one of docToChoice and choicesField")
        }
        if spec.outputType == .generateUntil, spec.referencesField == nil {
            throw EvalError.badTaskFile(path: path, reason: "a generate_until task needs referencesField")
        }
        guard spec.metricNames.contains(spec.primaryMetric) else {
            throw EvalError.badTaskFile(path: path, reason: "primaryMetric \"\(spec.primaryMetric)\" is not one of the task's metrics "
                + "(\(spec.metricNames.joined(separator: ", ")))")
        }
        return spec
    }
}


/// The folder holding `<task>.json`: env LISA_TASKS, else `./tasks`, else `tasks/` beside or above the executable.
public struct TasksFolder: Sendable {
    public let url: URL

    public init(path explicit: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        var candidates: [URL] = []
        if let explicit, !explicit.isEmpty { candidates.append(URL(fileURLWithPath: explicit)) }
        if let env = environment["LISA_TASKS"], !env.isEmpty { candidates.append(URL(fileURLWithPath: env)) }
        candidates.append(URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("tasks"))
        // The executable lives in <repo>/.build/<config>/lisa: walk up looking for tasks/.
        var exe = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<4 { candidates.append(exe.appendingPathComponent("tasks")); exe.deleteLastPathComponent() }
        guard let found = candidates.first(where: { var d: ObjCBool = false
            return FileManager.default.fileExists(atPath: $0.path, isDirectory: &d) && d.boolValue }) else {
            throw EvalError.tasksFolderMissing(searched: candidates.map(\.path))
        }
        url = found.standardizedFileURL
    }

    /// Task names (file names without `.json`), sorted.
    public var available: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? [])
            .filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.sorted()
    }

    public func spec(_ name: String) throws -> TaskSpec {
        guard !name.contains("/"), !name.hasPrefix("."), !name.isEmpty else { throw EvalError.taskNameIsAPath(name: name, folder: url.path) }
        let path = url.appendingPathComponent("\(name).json").path
        guard FileManager.default.fileExists(atPath: path) else {
            throw EvalError.unknownTask(name: name, folder: url.path, available: available)
        }
        return try TaskSpec.load(path: path)
    }
}
