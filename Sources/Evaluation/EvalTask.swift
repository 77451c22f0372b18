import Datasets
import Foundation

/// What the model is asked for one document (lm-eval `Instance`s of one doc).
public enum EvalRequest: Equatable, Sendable {
    /// `continuations[i]` = target delimiter + choice i; `choiceLengths[i]` = characters of choice i (acc_norm).
    case multipleChoice(context: String, continuations: [String], choiceLengths: [Int], gold: Int)
    /// Partial scoring (lm-eval winogrande): one continuation (target delimiter + target) after each context;
    /// `choiceLengths[i]` = characters of choice i, the context's own part (lm-eval's acc_norm divides by it).
    case partial(contexts: [String], continuation: String, choiceLengths: [Int], gold: Int)
    case loglikelihood(context: String, continuation: String)
    case generation(context: String, until: [String], maxTokens: Int, references: [String])

    /// The (first) context.
    public var context: String {
        switch self {
        case .multipleChoice(let c, _, _, _), .loglikelihood(let c, _), .generation(let c, _, _, _): return c
        case .partial(let cs, _, _, _): return cs.first ?? ""
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

    /// Reads the task's data file (and an mmlu_dev pool's file) from the data folder, each record checked against the
    /// fields the task file declares.
    public init(spec: TaskSpec, data: DataDirectory) throws {
        try self.init(spec: spec, dataFile: try data.file(spec.dataFile), data: data)
    }

    /// The same with the data file given directly (an lm-eval YAML run with `--data FILE.jsonl`).
    public init(spec: TaskSpec, dataFile: URL, data: DataDirectory) throws {
        let recs = try Document.load(url: dataFile, schema: spec.schema)
        let pool: [Document]
        switch spec.pool {
        case .head: pool = Array(recs.prefix(spec.poolSize))
        case .mmluDev: pool = try Document.load(url: try data.file(spec.poolFile), schema: spec.schema)
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

    /// doc_to_text (with partial scoring, the gold choice: an exemplar's text).
    public func text(_ doc: Document) throws -> String {
        if spec.choicesAreContexts { let ch = try choices(doc); return ch[try gold(doc, choices: ch)] }
        let v = try Template.value(spec.docToText, doc, task: spec.name)
        return PythonFilters.str(v)
    }

    /// doc_to_choice: the raw choice strings (partial scoring: the contexts' own parts).
    public func choices(_ doc: Document) throws -> [String] {
        switch spec.docToChoice {
        case .list(let templates)?: return try templates.map { try Template.render($0, doc, task: spec.name) }
        case .template(let t)?:
            let v = try Template.value(t, doc, task: spec.name)
            guard let l = v as? [Any] else {
                throw EvalError.badTemplate(
                    task: spec.name, template: t, reason: "gives \(PythonFilters.repr(v)), not a list of choices")
            }
            return l.map(PythonFilters.str)
        case nil:
            throw EvalError.badTemplate(
                task: spec.name, template: "", reason: "is missing: the task has no docToChoice")
        }
    }

    /// The gold index of a multiple-choice task: doc_to_target (doc_to_text with partial scoring) as an index, a
    /// string of digits, or the text of one of the choices (lm-eval process_results).
    /// `choices`: the document's choices when the caller has them already.
    public func gold(_ doc: Document, choices known: [String]? = nil) throws -> Int {
        let template = spec.choicesAreContexts ? spec.docToText : spec.docToTarget
        let v = try Template.value(template, doc, task: spec.name)
        let ch = try known ?? choices(doc)
        var g: Int?
        if let i = PythonFilters.int(v) { g = i }
        if let s = v as? String {
            g = s.allSatisfy(\.isASCII) && !s.isEmpty && s.allSatisfy(\.isNumber) ? Int(s) : ch.firstIndex(of: s)
        }
        guard let g else {
            throw EvalError.badTemplate(
                task: spec.name, template: template, reason: "gives \(PythonFilters.repr(v)), not a choice index")
        }
        guard (0..<ch.count).contains(g) else {
            throw EvalError.goldOutsideChoices(task: spec.name, document: doc.index, gold: g, choices: ch.count)
        }
        return g
    }

    /// The target string written after an exemplar (lm-eval sampler: the gold choice, else the first reference).
    public func exemplarTarget(_ doc: Document) throws -> String {
        switch spec.outputType {
        case .multipleChoice where spec.choicesAreContexts: return try continuationText(doc)
        case .multipleChoice: let ch = try choices(doc); return ch[try gold(doc, choices: ch)]
        case .loglikelihood: return try continuationText(doc)
        case .generateUntil:
            // The GSM8K CoT exemplars are {question, target} (lm-eval: `... if answer is defined else target`).
            if spec.pool == .gsm8kCoT, case .text(let t)? = doc.fields["target"] { return t }
            return try references(doc).first ?? ""
        }
    }

    /// doc_to_target as text: a loglikelihood continuation, or the shared continuation of partial scoring.
    public func continuationText(_ doc: Document) throws -> String {
        PythonFilters.str(try Template.value(spec.docToTarget, doc, task: spec.name))
    }

    /// Generation: the reference answers (doc_to_target, a list or one string).
    public func references(_ doc: Document) throws -> [String] {
        try Template.list(spec.docToTarget, doc, task: spec.name)
    }

    /// The k exemplars for `doc`: `head` pools draw k per document from `seed` (the same for every system),
    /// MMLU takes the first k dev items of the subject, GSM8K the first k CoT exemplars.
    public func exemplars(for doc: Document, shots k: Int, seed: UInt64) throws -> [Document] {
        guard k > 0 else { return [] }
        let candidates: [Document]
        switch spec.pool {
        case .head:
            guard k <= pool.count else {
                throw EvalError.poolTooSmall(task: spec.name, requested: k, available: pool.count)
            }
            return sampleIndices(population: pool.count, n: k, seed: seed &+ UInt64(doc.index)).map { pool[$0] }
        case .mmluDev: candidates = pool.filter { $0.fields["subject"] == doc.fields["subject"] }
        case .gsm8kCoT: candidates = pool
        }
        guard k <= candidates.count else {
            throw EvalError.poolTooSmall(task: spec.name, requested: k, available: candidates.count)
        }
        return Array(candidates.prefix(k))
    }

    /// description + exemplars (text + target delimiter + target, joined and ended by the few-shot delimiter)
    /// + doc_to_text: lm-eval's `fewshot_context`.
    public func context(_ doc: Document, shots: Int, seed: UInt64) throws -> String {
        try prefix(doc, shots: shots, seed: seed) + (try text(doc))
    }

    /// description + exemplars, each ended by the few-shot delimiter: what comes before the document's own text.
    public func prefix(_ doc: Document, shots: Int, seed: UInt64) throws -> String {
        var s = try Template.render(spec.description, doc, task: spec.name)
        let ex = try exemplars(for: doc, shots: shots, seed: seed)
        if !ex.isEmpty {
            s += try ex.map { try text($0) + spec.targetDelimiter + exemplarTarget($0) }.joined(
                separator: spec.fewshotDelimiter)
            s += spec.fewshotDelimiter
        }
        return s
    }

    public func request(_ doc: Document, shots: Int, seed: UInt64) throws -> EvalRequest {
        if spec.choicesAreContexts {
            // lm-eval multiple_input_context: the shared prefix + each choice, then " " + the continuation.
            let p = try prefix(doc, shots: shots, seed: seed), ch = try choices(doc)
            return .partial(
                contexts: ch.map { p + $0 }, continuation: spec.targetDelimiter + (try continuationText(doc)),
                choiceLengths: ch.map { $0.unicodeScalars.count }, gold: try gold(doc, choices: ch))
        }
        let ctx = try context(doc, shots: shots, seed: seed)
        switch spec.outputType {
        case .multipleChoice:
            let ch = try choices(doc)
            return .multipleChoice(
                context: ctx, continuations: ch.map { spec.targetDelimiter + $0 },
                choiceLengths: ch.map { $0.unicodeScalars.count }, gold: try gold(doc, choices: ch))
        case .loglikelihood:
            // lm-eval passes (context, doc_to_target) for loglikelihood tasks: no target delimiter.
            return .loglikelihood(context: ctx, continuation: try continuationText(doc))
        case .generateUntil:
            return .generation(
                context: ctx, until: spec.until, maxTokens: spec.maxTokens, references: try references(doc))
        }
    }
}
