import Basics
import Datasets
import Foundation
import Models

/// How one evaluation run is set up.
public struct EvalOptions: Sendable {
    public var shots: Int
    /// Evaluate a seeded sample of this many documents (nil: all).
    public var limit: Int?
    /// Seeds the --limit sample and the per-document exemplar draw (lm-eval's default few-shot seed).
    public var seed: UInt64
    public var policies: AttentionPolicies
    /// generate_until documents decoded together (`BatchedGenerator`); 1 decodes one at a time.
    public var batch: Int
    public init(
        shots: Int, limit: Int? = nil, seed: UInt64 = 1234, policies: AttentionPolicies = AttentionPolicies(),
        batch: Int = 8
    ) {
        self.shots = shots; self.limit = limit; self.seed = seed; self.policies = policies; self.batch = batch
    }
}

/// One document's outcome.
public struct DocumentResult: Codable, Sendable, Equatable {
    public var index: Int
    public var logLikelihoods: [Double]?
    public var gold: Int?
    public var prediction: String?
    /// Metric name → this document's score (0/1 for accuracies and exact match, log-likelihood for LAMBADA ppl).
    public var scores: [String: Double]
    /// Tokens of the context (few-shot exemplars included; the longest of a multiple-choice document's contexts),
    /// so results can be split by length (e.g. against a sliding window). In `lisa eval --out` JSON; the database
    /// does not store it (a document read back from it has nil).
    public var contextTokens: Int?
    public init(
        index: Int, logLikelihoods: [Double]?, gold: Int?, prediction: String?, scores: [String: Double],
        contextTokens: Int? = nil
    ) {
        self.index = index; self.logLikelihoods = logLikelihoods; self.gold = gold; self.prediction = prediction;
        self.scores = scores; self.contextTokens = contextTokens
    }
    /// The document as the database keeps it (everything but the context length), to compare with one read back.
    public var asStored: DocumentResult {
        var d = self
        d.contextTokens = nil
        return d
    }
}

/// A task's aggregate result.
public struct TaskResult: Codable, Sendable {
    public var task: String
    public var shots: Int
    public var n: Int
    public var seed: UInt64
    public var metrics: [String: Double]
    /// lm-eval `mean_stderr` of each mean metric.
    public var standardErrors: [String: Double]
    public var primaryMetric: String
    public var seconds: Double
    public var tokensRun: Int
    public var policies: AttentionPolicies
    /// The sharing config whose shared layers ran as DS (`--sharing`), nil without one.
    public var sharing: SharingConfig?
    /// The trained checkpoint the run used (`--lisa`), nil without one.
    public var checkpoint: CheckpointIdentity?
    public var documents: [DocumentResult]
}

/// The documents a run evaluates: `evaluable(shots:)`, then a seeded sample of `limit`, in the order of
/// `sampleIndices`'s keys (smallest first). The first k documents of any run are therefore exactly the
/// `--limit k` sample (the same set as `sampleIndices(n: k)`), so a run stopped early is still a seeded sample.
public func selectDocuments(_ task: EvalTask, options: EvalOptions) -> [Document] {
    let docs = task.evaluable(shots: options.shots)
    var rng = SeededGenerator(seed: options.seed)
    let keys = docs.indices.map { _ in rng.next() }  // the keys sampleIndices draws, in index order
    let order = docs.indices.sorted { keys[$0] != keys[$1] ? keys[$0] < keys[$1] : $0 < $1 }
    return order.prefix(min(options.limit ?? docs.count, docs.count)).map { docs[$0] }
}

/// A scored document with what it cost (a resumed run takes these from the database).
public struct ScoredDocument: Sendable, Equatable {
    public var result: DocumentResult
    public var seconds: Double
    /// Tokens run through the model for this document.
    public var tokens: Int
    public init(result: DocumentResult, seconds: Double, tokens: Int) {
        self.result = result; self.seconds = seconds; self.tokens = tokens
    }
}

/// Runs `task` on `model`. Documents in `resumed` (matched by index) are not scored again; the aggregate
/// is computed over all documents in run order, so a resumed run equals an uninterrupted one.
/// `nf`: NF decoding (§5.2) with the score providers — contexts prefilled with standard attention.
/// `ordinals`: score only the documents at these positions of the run order (a shard); nil: all.
/// `each(doc, ordinal)` after each newly scored document (it may throw to stop the run), `ordinal` being its
/// position in the whole run's order; `progress(done, total)` once before scoring (done = the documents `resumed`
/// holds) and after every document scored.
public func evaluate(
    _ task: EvalTask, model: LoadedModel, options: EvalOptions, resumed: [ScoredDocument] = [],
    scoreProviders: LayerScoreProviders = [:], nf: Bool = false, ordinals: ((Int) -> Bool)? = nil,
    each: ((ScoredDocument, Int) throws -> Void)? = nil, progress: ((Int, Int) -> Void)? = nil
) throws -> TaskResult {
    let start = Date()
    let scorer = ContextScorer(model: model, policies: options.policies, scoreProviders: scoreProviders, nf: nf)
    let all = selectDocuments(task, options: options)
    let picked = all.indices.filter { ordinals?($0) ?? true }  // positions in the whole run's order
    let docs = picked.map { all[$0] }
    let known = Dictionary(resumed.map { ($0.result.index, $0) }, uniquingKeysWith: { a, _ in a })
    var results: [DocumentResult] = []
    var storedSeconds = 0.0, storedTokens = 0
    var batchedTokens = 0
    // A few-shot context runs as its prefix's stored state, then the rest (`PrefixStates`).
    func prefixIDs(_ doc: Document) throws -> [Int]? {
        guard PrefixStates.applies(shots: options.shots, hasProviders: !scoreProviders.isEmpty, nf: nf) else {
            return nil
        }
        return scorer.encode(try task.prefix(doc, shots: options.shots, seed: options.seed))
    }
    // generate_until documents decode together (not with score providers, whose state is per sequence)
    var batched = false
    if options.batch > 1, scoreProviders.isEmpty, !nf, let first = docs.first,
        case .generation = try task.request(first, shots: options.shots, seed: options.seed)
    {
        batched = true
    }
    if batched {
        var byIndex: [Int: DocumentResult] = [:], jobs: [BatchedGenerator.Job] = [],
            jobDocs: [(Int, Document, [String], String, [Int]?)] = []
        for (i, doc) in docs.enumerated() {
            if let k = known[doc.index] {
                byIndex[doc.index] = k.result; storedSeconds += k.seconds; storedTokens += k.tokens; continue
            }
            guard
                case let .generation(context, until, maxTokens, references) = try task.request(
                    doc, shots: options.shots, seed: options.seed)
            else { throw EvalError.emptyContinuation(task: task.spec.name, document: doc.index) }
            let prefix = try prefixIDs(doc)
            jobs.append(
                BatchedGenerator.Job(
                    context: scorer.encode(context), until: until, maxTokens: maxTokens, prefix: prefix))
            jobDocs.append((picked[i], doc, references, context, prefix))
        }
        var finished = byIndex.count
        progress?(finished, docs.count)
        try BatchedGenerator(
            model: model, policies: options.policies, batch: options.batch, prefixes: scorer.prefixes
        ).run(jobs) {
            j, raw, tokens, seconds in
            let (i, doc, refs, context, prefix) = jobDocs[j]
            var r = try addGoldLogLikelihood(
                generationResult(task.spec, doc, raw: raw, references: refs), spec: task.spec, doc: doc,
                context: context, references: refs, scorer: scorer, prefix: prefix)
            r.contextTokens = jobs[j].context.count
            byIndex[doc.index] = r; batchedTokens += tokens; finished += 1
            try each?(ScoredDocument(result: r, seconds: seconds, tokens: tokens), i)
            progress?(finished, docs.count)
        }
        results = docs.map { byIndex[$0.index]! }
    }
    if !batched {
        // Documents sharing a few-shot prefix (an MMLU subject's exemplars) are scored one after another, so its
        // stored state serves them all; each result is computed the same way in any order, and the results keep
        // the run's order.
        let prefixes = try docs.map { try prefixIDs($0) }
        var firstSeen: [[Int]: Int] = [:]
        for (i, p) in prefixes.enumerated() where p != nil && firstSeen[p!] == nil { firstSeen[p!] = i }
        let order = docs.indices.sorted { a, b in
            let ga = prefixes[a].flatMap { firstSeen[$0] } ?? a, gb = prefixes[b].flatMap { firstSeen[$0] } ?? b
            return (ga, a) < (gb, b)
        }
        var byPosition = [DocumentResult?](repeating: nil, count: docs.count)
        var done = docs.filter { known[$0.index] != nil }.count
        progress?(done, docs.count)
        for i in order {
            let doc = docs[i]
            if let k = known[doc.index] {
                byPosition[i] = k.result; storedSeconds += k.seconds; storedTokens += k.tokens
            } else {
                let t0 = Date(), tok0 = scorer.tokensRun
                try scorer.beginDocument()
                let r = try scoreDocument(task, doc, scorer: scorer, options: options, prefix: prefixes[i])
                byPosition[i] = r
                try each?(
                    ScoredDocument(result: r, seconds: Date().timeIntervalSince(t0), tokens: scorer.tokensRun - tok0),
                    picked[i])
                done += 1
                progress?(done, docs.count)
            }
        }
        results = byPosition.map { $0! }
    }
    let (metrics, errs) = aggregate(results)
    return TaskResult(
        task: task.spec.name, shots: options.shots, n: docs.count, seed: options.seed, metrics: metrics,
        standardErrors: errs, primaryMetric: task.spec.primaryMetric,
        seconds: storedSeconds + Date().timeIntervalSince(start),
        tokensRun: storedTokens + scorer.tokensRun + batchedTokens,
        policies: options.policies, sharing: nil, checkpoint: nil, documents: results)
}

/// A run's metrics and their standard errors from its documents in run order (the order fixes the sums' last
/// bits): the mean of each score, lm-eval's mean_stderr, and perplexity from the log-likelihoods. `lisa merge`
/// recomputes a sharded run's aggregate with this from the merged documents, as the unsharded run did.
public func aggregate(_ results: [DocumentResult]) -> (metrics: [String: Double], standardErrors: [String: Double]) {
    var metrics: [String: Double] = [:], errs: [String: Double] = [:]
    for key in Set(results.flatMap { $0.scores.keys }) {
        let v = results.compactMap { $0.scores[key] }
        if key == "log_likelihood" {
            metrics["perplexity"] = Metrics.perplexity(logLikelihoods: v)
        } else {
            metrics[key] = v.reduce(0, +) / Double(max(v.count, 1))
            errs[key] = Metrics.standardError(v)
        }
    }
    return (metrics, errs)
}

/// Scores one document (lm-eval process_results for its output type).
public func scoreDocument(
    _ task: EvalTask, _ doc: Document, scorer: ContextScorer, options: EvalOptions, prefix: [Int]? = nil
) throws -> DocumentResult {
    let spec = task.spec
    let req = try task.request(doc, shots: options.shots, seed: options.seed)
    switch req {
    case let .multipleChoice(context, continuations, lengths, gold):
        let pairs = try continuations.map { try pairIDs(scorer, context, $0, spec: spec, doc: doc) }
        let ll = try scorer.logLikelihoods(pairs.map { (context: $0.0, continuation: $0.1) }, prefix: prefix).map(
            \.logProb)
        let m = Metrics.multipleChoice(logLikelihoods: ll, choiceLengths: lengths, gold: gold)
        return DocumentResult(
            index: doc.index, logLikelihoods: ll, gold: gold, prediction: String(m.prediction),
            scores: ["acc": m.acc ? 1 : 0, "acc_norm": m.accNorm ? 1 : 0], contextTokens: pairs.map(\.0.count).max())
    case let .partial(contexts, continuation, lengths, gold):
        // lm-eval winogrande: the same continuation after each context; acc_norm divides by the choices' lengths.
        let pairs = try contexts.map { try pairIDs(scorer, $0, continuation, spec: spec, doc: doc) }
        let ll = try scorer.logLikelihoods(pairs.map { (context: $0.0, continuation: $0.1) }, prefix: prefix).map(
            \.logProb)
        let m = Metrics.multipleChoice(logLikelihoods: ll, choiceLengths: lengths, gold: gold)
        return DocumentResult(
            index: doc.index, logLikelihoods: ll, gold: gold, prediction: String(m.prediction),
            scores: ["acc": m.acc ? 1 : 0, "acc_norm": m.accNorm ? 1 : 0], contextTokens: pairs.map(\.0.count).max())
    case let .loglikelihood(context, continuation):
        let (c, k) = try pairIDs(scorer, context, continuation, spec: spec, doc: doc)
        let r = try scorer.logLikelihood(context: c, continuation: k, prefix: prefix)
        return DocumentResult(
            index: doc.index, logLikelihoods: [r.logProb], gold: nil, prediction: nil,
            scores: ["acc": r.isGreedy ? 1 : 0, "log_likelihood": r.logProb], contextTokens: c.count)
    case let .generation(context, until, maxTokens, references):
        let ids = scorer.encode(context)
        let raw = try scorer.generate(context: ids, prefix: prefix, until: until, maxTokens: maxTokens)
        var r = try addGoldLogLikelihood(
            generationResult(spec, doc, raw: raw, references: references), spec: spec, doc: doc,
            context: context, references: references, scorer: scorer, prefix: prefix)
        r.contextTokens = ids.count
        return r
    }
}

/// A generate_until document's result from its raw generated text (lm-eval's filters and exact match).
func generationResult(_ spec: TaskSpec, _ doc: Document, raw: String, references: [String]) -> DocumentResult {
    func em(_ p: String, _ refs: [String]) -> Double {
        Metrics.exactMatch(
            p, references: refs, ignoreCase: spec.ignoreCase, ignorePunctuation: spec.ignorePunctuation,
            regexesToIgnore: spec.regexesToIgnore) ? 1 : 0
    }
    if let filters = spec.filters {
        // lm-eval filter_list: each pipeline's answer scored on its own; the first one's is the prediction.
        var scores: [String: Double] = [:]
        for (i, f) in filters.enumerated() {
            scores[OutputFilter.metricName(filters, i)] = em(f.apply(raw), references)
        }
        return DocumentResult(
            index: doc.index, logLikelihoods: nil, gold: nil, prediction: filters.first.map { $0.apply(raw) } ?? raw,
            scores: scores)
    }
    switch spec.extraction {
    case .removeWhitespace:
        let p = Metrics.removeWhitespace(raw)
        return DocumentResult(
            index: doc.index, logLikelihoods: nil, gold: nil, prediction: p, scores: ["exact_match": em(p, references)])
    case .gsm8k:
        let strict = Metrics.gsm8kStrict(raw), flexible = Metrics.gsm8kFlexible(raw)
        return DocumentResult(
            index: doc.index, logLikelihoods: nil, gold: nil, prediction: raw,
            scores: ["exact_match": em(strict, references), "exact_match_flexible": em(flexible, references)])
    }
}

private func pairIDs(
    _ scorer: ContextScorer, _ context: String, _ continuation: String, spec: TaskSpec,
    doc: Document
) throws -> ([Int], [Int]) {
    let (c, k) = scorer.encodePair(context: context, continuation: continuation)
    guard !k.isEmpty else { throw EvalError.emptyContinuation(task: spec.name, document: doc.index) }
    let limit = scorer.transformer.config.contextLength
    guard c.count + k.count <= limit else {
        throw EvalError.promptTooLong(task: spec.name, document: doc.index, tokens: c.count + k.count, context: limit)
    }
    return (c, k)
}
