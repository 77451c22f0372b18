import Datasets
import Foundation

/// What the model is asked for one document (lm-eval `Instance`s of one doc).
public enum EvalRequest: Equatable, Sendable {
    /// `continuations[i]` = target delimiter + choice i; `choiceLengths[i]` = characters of choice i (acc_norm).
    case multipleChoice(context: String, continuations: [String], choiceLengths: [Int], gold: Int)
    case loglikelihood(context: String, continuation: String)
    case generation(context: String, until: [String], maxTokens: Int, references: [String])

    public var context: String {
        switch self {
        case .multipleChoice(let c, _, _, _), .loglikelihood(let c, _), .generation(let c, _, _, _): return c
        }
    }
}

/// A task ready to evaluate: its spec, its evaluation documents and its few-shot pool.
public struct EvalTask: Sendable {
    public let spec: TaskSpec
    /// Every record of the data file, in file order.
    public let records: [Document]
    /// The few-shot pool (FIGURES.md C8): the first `poolSize` records, MMLU dev, or the GSM8K CoT exemplars.
    public let pool: [Document]

    public init(spec: TaskSpec, records: [Document], pool: [Document]) {
        self.spec = spec; self.records = records; self.pool = pool
    }

    /// Reads the task's data file (and MMLU's dev file) from the data folder.
    public init(spec: TaskSpec, data: DataDirectory) throws {
        let recs = try Document.load(record: spec.record, url: try data.file(spec.dataFile))
        let pool: [Document]
        switch spec.pool {
        case .head: pool = Array(recs.prefix(spec.poolSize))
        case .mmluDev: pool = try Document.load(record: "mmlu", url: try data.file("mmlu/dev.jsonl"))
        case .gsm8kCoT: pool = Document.gsm8kExemplars
        }
        self.init(spec: spec, records: recs, pool: pool)
    }

    /// The documents a run with `shots` exemplars may evaluate: all records, except that a few-shot run
    /// from a `head` pool skips the pool (C8: exemplars are never evaluated).
    public func evaluable(shots: Int) -> [Document] {
        shots > 0 && spec.pool == .head ? Array(records.dropFirst(spec.poolSize)) : records
    }

    // MARK: templates (lm-eval ConfigurableTask)

    public func text(_ doc: Document) throws -> String { try Template.render(spec.docToText, doc, task: spec.name) }

    /// doc_to_choice: the raw choice strings.
    public func choices(_ doc: Document) throws -> [String] {
        if let templates = spec.docToChoice { return try templates.map { try Template.render($0, doc, task: spec.name) } }
        let raw = try Template.list(spec.choicesField ?? "", doc, task: spec.name)
        guard let f = spec.choiceFilter else { return raw }
        return try raw.map { try Template.apply(filter: f, $0, task: spec.name, template: spec.choicesField ?? "") }
    }

    /// doc_to_target for a multiple-choice task: the gold index.
    public func gold(_ doc: Document) throws -> Int {
        let s = try Template.render(spec.docToTarget, doc, task: spec.name)
        guard let g = Int(s) else { throw EvalError.badTemplate(task: spec.name, template: spec.docToTarget, reason: "gives \(s.debugDescription), not a choice index") }
        let n = try choices(doc).count
        guard (0..<n).contains(g) else { throw EvalError.goldOutsideChoices(task: spec.name, document: doc.index, gold: g, choices: n) }
        return g
    }

    /// The target string written after an exemplar (lm-eval sampler: the gold choice, else the first reference).
    public func exemplarTarget(_ doc: Document) throws -> String {
        switch spec.outputType {
        case .multipleChoice: return try choices(doc)[try gold(doc)]
        case .loglikelihood: return try Template.render(spec.docToTarget, doc, task: spec.name)
        case .generateUntil:
            if doc.fields["target"] != nil { return try Template.render("{target}", doc, task: spec.name) }
            return try references(doc).first ?? ""
        }
    }

    public func references(_ doc: Document) throws -> [String] {
        try Template.list(spec.referencesField ?? "", doc, task: spec.name)
    }

    /// The k exemplars for `doc`: `head` pools draw k per document from `seed` (the same for every system),
    /// MMLU takes the first k dev items of the subject, GSM8K the first k CoT exemplars.
    public func exemplars(for doc: Document, shots k: Int, seed: UInt64) throws -> [Document] {
        guard k > 0 else { return [] }
        let candidates: [Document]
        switch spec.pool {
        case .head:
            guard k <= pool.count else { throw EvalError.poolTooSmall(task: spec.name, requested: k, available: pool.count) }
            return sampleIndices(population: pool.count, n: k, seed: seed &+ UInt64(doc.index)).map { pool[$0] }
        case .mmluDev: candidates = pool.filter { $0.fields["subject"] == doc.fields["subject"] }
        case .gsm8kCoT: candidates = pool
        }
        guard k <= candidates.count else { throw EvalError.poolTooSmall(task: spec.name, requested: k, available: candidates.count) }
        return Array(candidates.prefix(k))
    }

    /// description + exemplars (text + target delimiter + target, joined and ended by the few-shot delimiter)
    /// + doc_to_text: lm-eval's `fewshot_context`.
    public func context(_ doc: Document, shots: Int, seed: UInt64) throws -> String {
        var s = try Template.render(spec.description, doc, task: spec.name)
        let ex = try exemplars(for: doc, shots: shots, seed: seed)
        if !ex.isEmpty {
            s += try ex.map { try text($0) + spec.targetDelimiter + exemplarTarget($0) }.joined(separator: spec.fewshotDelimiter)
            s += spec.fewshotDelimiter
        }
        return s + (try text(doc))
    }

    public func request(_ doc: Document, shots: Int, seed: UInt64) throws -> EvalRequest {
        let ctx = try context(doc, shots: shots, seed: seed)
        switch spec.outputType {
        case .multipleChoice:
            let ch = try choices(doc)
            return .multipleChoice(context: ctx, continuations: ch.map { spec.targetDelimiter + $0 },
                                   choiceLengths: ch.map { $0.unicodeScalars.count }, gold: try gold(doc))
        case .loglikelihood:
            // lm-eval passes (context, doc_to_target) for loglikelihood tasks: no target delimiter.
            return .loglikelihood(context: ctx, continuation: try Template.render(spec.docToTarget, doc, task: spec.name))
        case .generateUntil:
            return .generation(context: ctx, until: spec.until, maxTokens: spec.maxTokens, references: try references(doc))
        }
    }
}
