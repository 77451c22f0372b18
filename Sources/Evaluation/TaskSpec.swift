import Basics
import Datasets
import Foundation
import Models

/// One evaluation task as data (`tasks/<name>.json`, or an lm-eval YAML through `LMEvalTask`), mirroring the fields of
/// an lm-evaluation-harness task YAML: doc_to_text / doc_to_target / doc_to_choice as Jinja templates (`Template`), the
/// target and few-shot delimiters, generation stop strings, filters and the exact-match options. The data file's
/// fields are declared in `fields` (checked on every record, errors naming file:line and field), so a new JSONL
/// benchmark needs a task file and no Swift (issue 19).
public struct TaskSpec: Decodable, Sendable, Equatable {
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
        /// MMLU: `poolFile` (default `mmlu/dev.jsonl`), the first k of the document's subject (lm-eval `first_n`).
        case mmluDev = "mmlu_dev"
        /// GSM8K: the fixed chain-of-thought exemplars (lm-eval `gsm8k_cot`, `first_n`).
        case gsm8kCoT = "gsm8k_cot"
    }

    /// How a generated answer is turned into the string compared with the references (when `filters` is absent).
    public enum Extraction: String, Codable, Sendable {
        /// lm-eval `remove_whitespace` + `take_first`.
        case removeWhitespace = "remove_whitespace"
        /// lm-eval gsm8k_cot `strict-match` ("The answer is N"), with `flexible-extract` stored too.
        case gsm8k
    }

    /// doc_to_choice: one template per choice (`["{{sol1}}", "{{sol2}}"]`, `["no", "yes"]`) or one template whose
    /// value is the list (`"{{choices.text}}"`, `"endings"`).
    public enum Choices: Decodable, Sendable, Equatable {
        case list([String])
        case template(String)

        public init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let s = try? c.decode(String.self) {
                self = .template(s)
            } else {
                self = .list(try c.decode([String].self))
            }
        }

        var templates: [String] {
            switch self {
            case .list(let l): return l
            case .template(let t): return [t]
            }
        }
    }

    public var name: String
    /// The lm-eval file this definition follows (for the record; never parsed).
    public var source: String
    /// Data file, relative to the data folder.
    public var dataFile: String
    /// The data file's fields and their types (see `FieldSpec`); absent: records are not checked before use.
    public var fields: [String: FieldSpec]?
    public var outputType: OutputType
    /// Partial scoring (lm-eval winogrande): the choices are contexts, `docToTarget` is the one continuation scored
    /// after each, and `docToText` gives the gold index (lm-eval's doc_to_text returning an int).
    public var choicesAreContexts: Bool
    public var description: String
    public var docToText: String
    /// Multiple choice: the gold index (or the gold choice's text); partial scoring: the shared continuation;
    /// loglikelihood: the continuation; generation: the reference answer(s), a string or a list.
    public var docToTarget: String
    public var docToChoice: Choices?
    public var targetDelimiter: String
    public var fewshotDelimiter: String
    public var defaultShots: Int
    public var pool: PoolKind
    public var poolSize: Int
    /// The exemplar file of an `mmlu_dev` pool.
    public var poolFile: String
    public var until: [String]
    public var maxTokens: Int
    public var extraction: Extraction
    /// lm-eval `filter_list` (regex, take_first, …) for generation; when present it replaces `extraction`.
    public var filters: [OutputFilter]?
    public var ignoreCase: Bool
    public var ignorePunctuation: Bool
    public var regexesToIgnore: [String]
    /// The metric FIGURES.md C8 reports for this task (acc, acc_norm, exact_match, perplexity).
    public var primaryMetric: String

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, source, dataFile, fields, outputType, choicesAreContexts, description, docToText, docToTarget,
            docToChoice
        case targetDelimiter, fewshotDelimiter, defaultShots, pool, poolSize, poolFile, until, maxTokens, extraction,
            filters
        case ignoreCase, ignorePunctuation, regexesToIgnore, primaryMetric

        static var allNames: String { allCases.map(\.rawValue).joined(separator: ", ") }
    }

    /// Keys of task files before issue 19, refused with what replaces them.
    static let retiredKeys: [String: String] = [
        "record": "declare the data file's fields under \"fields\" instead (docs/evaluation.md: adding a task)",
        "choicesField": "write \"docToChoice\": \"{{ field }}\" instead",
        "choiceFilter": "apply the filter inside docToChoice, e.g. \"{{ endings }}\" items through a filter",
        "referencesField": "write \"docToTarget\": \"{{ field }}\" instead",
    ]

    public init(
        name: String, source: String = "", dataFile: String, fields: [String: FieldSpec]? = nil, outputType: OutputType,
        choicesAreContexts: Bool = false, description: String = "", docToText: String, docToTarget: String = "",
        docToChoice: Choices? = nil, targetDelimiter: String = " ", fewshotDelimiter: String = "\n\n",
        defaultShots: Int = 0,
        pool: PoolKind = .head, poolSize: Int = 50, poolFile: String = "mmlu/dev.jsonl", until: [String] = [],
        maxTokens: Int = 32, extraction: Extraction = .removeWhitespace, filters: [OutputFilter]? = nil,
        ignoreCase: Bool = false, ignorePunctuation: Bool = false, regexesToIgnore: [String] = [],
        primaryMetric: String = "acc"
    ) {
        self.name = name; self.source = source; self.dataFile = dataFile; self.fields = fields;
        self.outputType = outputType
        self.choicesAreContexts = choicesAreContexts; self.description = description; self.docToText = docToText
        self.docToTarget = docToTarget; self.docToChoice = docToChoice; self.targetDelimiter = targetDelimiter
        self.fewshotDelimiter = fewshotDelimiter; self.defaultShots = defaultShots; self.pool = pool;
        self.poolSize = poolSize
        self.poolFile = poolFile; self.until = until; self.maxTokens = maxTokens; self.extraction = extraction;
        self.filters = filters
        self.ignoreCase = ignoreCase; self.ignorePunctuation = ignorePunctuation; self.regexesToIgnore = regexesToIgnore
        self.primaryMetric = primaryMetric
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let all = try decoder.container(keyedBy: AnyKey.self)
        for key in all.allKeys.map(\.stringValue).sorted() {
            if let hint = Self.retiredKeys[key] {
                throw DecodingError.dataCorrupted(
                    .init(codingPath: [AnyKey(key)], debugDescription: "is no longer read: \(hint)"))
            }
            if CodingKeys(rawValue: key) == nil {
                throw DecodingError.dataCorrupted(
                    .init(
                        codingPath: [AnyKey(key)], debugDescription: "is not a task file key (\(CodingKeys.allNames))"))
            }
        }
        self.init(
            name: try c.decode(String.self, forKey: .name), dataFile: try c.decode(String.self, forKey: .dataFile),
            outputType: try c.decode(OutputType.self, forKey: .outputType),
            docToText: try c.decode(String.self, forKey: .docToText))
        source = try c.decodeIfPresent(String.self, forKey: .source) ?? ""
        fields = try c.decodeIfPresent([String: FieldSpec].self, forKey: .fields)
        choicesAreContexts = try c.decodeIfPresent(Bool.self, forKey: .choicesAreContexts) ?? false
        description = try c.decodeIfPresent(String.self, forKey: .description) ?? ""
        docToTarget = try c.decodeIfPresent(String.self, forKey: .docToTarget) ?? ""
        docToChoice = try c.decodeIfPresent(Choices.self, forKey: .docToChoice)
        // lm-eval defaults: target_delimiter " ", fewshot_delimiter "\n\n".
        targetDelimiter = try c.decodeIfPresent(String.self, forKey: .targetDelimiter) ?? " "
        fewshotDelimiter = try c.decodeIfPresent(String.self, forKey: .fewshotDelimiter) ?? "\n\n"
        defaultShots = try c.decodeIfPresent(Int.self, forKey: .defaultShots) ?? 0
        pool = try c.decodeIfPresent(PoolKind.self, forKey: .pool) ?? .head
        poolSize = try c.decodeIfPresent(Int.self, forKey: .poolSize) ?? 50
        poolFile = try c.decodeIfPresent(String.self, forKey: .poolFile) ?? "mmlu/dev.jsonl"
        until = try c.decodeIfPresent([String].self, forKey: .until) ?? []
        maxTokens = try c.decodeIfPresent(Int.self, forKey: .maxTokens) ?? 32
        extraction = try c.decodeIfPresent(Extraction.self, forKey: .extraction) ?? .removeWhitespace
        filters = try c.decodeIfPresent([OutputFilter].self, forKey: .filters)
        ignoreCase = try c.decodeIfPresent(Bool.self, forKey: .ignoreCase) ?? false
        ignorePunctuation = try c.decodeIfPresent(Bool.self, forKey: .ignorePunctuation) ?? false
        regexesToIgnore = try c.decodeIfPresent([String].self, forKey: .regexesToIgnore) ?? []
        primaryMetric = try c.decodeIfPresent(String.self, forKey: .primaryMetric) ?? "acc"
    }

    /// The declared fields as a record schema (nil: none declared).
    public var schema: RecordSchema? { fields.map(RecordSchema.init) }

    /// The metrics a run of this task reports (the keys of `TaskResult.metrics`).
    public var metricNames: [String] {
        switch outputType {
        case .multipleChoice: return ["acc", "acc_norm"]
        case .loglikelihood: return ["acc", "perplexity"]
        case .generateUntil:
            if let filters { return filters.indices.map { OutputFilter.metricName(filters, $0) } }
            return extraction == .gsm8k ? ["exact_match", "exact_match_flexible"] : ["exact_match"]
        }
    }

    /// Checks the definition, naming `path` (the task file) in every error: output type and its keys, metric, and that
    /// every template is in the supported Jinja subset.
    /// `lmEvalKeys`: name the keys as an lm-eval YAML does (doc_to_text, …).
    public func validate(path: String, lmEvalKeys: Bool = false) throws {
        func key(_ k: String) -> String {
            lmEvalKeys
                ? ["docToText": "doc_to_text", "docToTarget": "doc_to_target", "docToChoice": "doc_to_choice"][k] ?? k
                : k
        }
        if outputType == .multipleChoice, docToChoice == nil {
            throw EvalError.badTaskFile(path: path, reason: "a multiple_choice task needs \(key("docToChoice"))")
        }
        if choicesAreContexts, outputType != .multipleChoice {
            throw EvalError.badTaskFile(
                path: path, reason: "choicesAreContexts (partial scoring) needs outputType multiple_choice")
        }
        if outputType != .multipleChoice, docToTarget.isEmpty {
            throw EvalError.badTaskFile(path: path, reason: "a \(outputType.rawValue) task needs \(key("docToTarget"))")
        }
        guard metricNames.contains(primaryMetric) else {
            throw EvalError.badTaskFile(
                path: path,
                reason: "primaryMetric \"\(primaryMetric)\" is not one of the task's metrics "
                    + "(\(metricNames.joined(separator: ", ")))")
        }
        for (k, template) in [("description", description), ("docToText", docToText), ("docToTarget", docToTarget)] {
            try Template.check(template, file: path, key: key(k))
        }
        for t in docToChoice?.templates ?? [] { try Template.check(t, file: path, key: key("docToChoice")) }
        for f in filters ?? [] { try f.validate(path: path) }
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
        try spec.validate(path: path)
        return spec
    }
}

/// Any key of a JSON object (to refuse unknown and retired keys of a task file).
struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ s: String) { stringValue = s }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// The folder holding `<task>.json`: env LISA_TASKS, else `./tasks`, else `tasks/` beside or above the executable.
public struct TasksFolder: Sendable {
    public let url: URL

    public init(
        path explicit: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws {
        var candidates: [URL] = []
        if let explicit, !explicit.isEmpty { candidates.append(URL(fileURLWithPath: explicit)) }
        if let env = environment["LISA_TASKS"], !env.isEmpty { candidates.append(URL(fileURLWithPath: env)) }
        candidates.append(
            URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("tasks"))
        // The executable lives in <repo>/.build/<config>/lisa: walk up looking for tasks/.
        var exe = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath()
            .deletingLastPathComponent()
        for _ in 0..<4 { candidates.append(exe.appendingPathComponent("tasks")); exe.deleteLastPathComponent() }
        guard
            let found = candidates.first(where: {
                var d: ObjCBool = false
                return FileManager.default.fileExists(atPath: $0.path, isDirectory: &d) && d.boolValue
            })
        else {
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
        guard !name.contains("/"), !name.hasPrefix("."), !name.isEmpty else {
            throw EvalError.taskNameIsAPath(name: name, folder: url.path)
        }
        let path = url.appendingPathComponent("\(name).json").path
        guard FileManager.default.fileExists(atPath: path) else {
            throw EvalError.unknownTask(name: name, folder: url.path, available: available)
        }
        return try TaskSpec.load(path: path)
    }
}
