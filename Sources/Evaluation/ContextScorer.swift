import Foundation
import Models
import Numerics
import Tokenizers

/// Scores continuations and greedy generations against one model under one set of attention policies,
/// keeping the KV cache of the last context: a new context reuses the cached tokens it shares as a prefix
/// (every choice of a document; the MMLU subject header and exemplars; the GSM8K CoT prefix).
public final class ContextScorer {
    public let transformer: Transformer
    public let tokenizer: any Tokenizer
    public let policies: AttentionPolicies
    /// Per-layer external scores (trained LiSA layers, `lisa eval --lisa`); they follow the cache by position.
    public let scoreProviders: LayerScoreProviders
    /// NF (§5.2, Table 10): contexts are prefilled with standard attention in the providers' layers (from an empty
    /// cache, so no prefix reuse). Scoring a continuation, the context's last token runs through the providers too,
    /// so that every continuation token's probability — the first one included, which the context's last row
    /// predicts — is computed by the LiSA layers; otherwise a one-token continuation (most of LAMBADA) would score
    /// exactly as the original model. Generation follows the paper's decoding: the whole prompt standard, the
    /// generated tokens through the providers.
    public let nf: Bool
    /// What NF scoring means, as a run's parameters record it (see `nf`).
    public static let nfScoringDefinition = "context-standard-last-token-and-continuation-lisa"
    /// Whether a document may start from the cached prefix of the previous one. With 8-bit activations (integer
    /// products on quantized weights) the numbers depend on how tokens are grouped into calls — a float difference
    /// of 1e-6 can flip an 8-bit rounding, and Gemma's layers amplify it to ~0.5 logit — so there each document
    /// starts from an empty cache and is computed the same way whatever ran before it (a resumed run then equals an
    /// uninterrupted one). Within a document the grouping is fixed (context once, then each continuation); a
    /// few-shot context runs as its prefix (a stored state, `prefixes`) and then the rest.
    public let reusesAcrossDocuments: Bool
    /// Few-shot prefix states shared by this scorer's documents (and `BatchedGenerator` in the same run).
    public let prefixes: PrefixStates
    private let cache: KVCache
    /// The tokens whose keys/values `cache` holds, and the logits row that follows them.
    private var cached: [Int] = []
    /// Whether `cached`'s last token ran through the providers (NF scoring) rather than in the standard prefill.
    private var cachedLastThroughProviders = false
    /// How many leading tokens of `cached` are a stored prefix state (0: none), i.e. were computed in one call
    /// from an empty cache; only those may be reused by a document that splits at its prefix.
    private var cachedPrefix = 0
    private var lastRow: [Float] = []
    /// Tokens run through the model (prefill + continuations + decoding, and the prefix states), for the run's log.
    public var tokensRun: Int { ownTokens + prefixes.tokensRun }
    private var ownTokens = 0

    public init(
        model: LoadedModel, policies: AttentionPolicies = AttentionPolicies(),
        scoreProviders: LayerScoreProviders = [:],
        nf: Bool = false
    ) {
        transformer = model.transformer
        tokenizer = model.tokenizer
        self.policies = policies
        self.scoreProviders = scoreProviders
        self.nf = nf && !scoreProviders.isEmpty
        cache = model.transformer.makeCache()
        let t = model.transformer
        reusesAcrossDocuments = t.productMode == .exact || !t.weights.matrices.contains { $0.isQuantized }
        prefixes = PrefixStates(transformer: t, policies: policies)
    }

    /// Whether a context may run as a stored prefix state and then the rest (not with score providers, whose state
    /// is per position, nor NF).
    func splits(_ context: [Int], at prefix: [Int]?) -> Bool {
        PrefixStates.usable(hasProviders: !scoreProviders.isEmpty, nf: nf) && PrefixStates.splits(context, at: prefix)
    }

    /// Call before each document: drops the previous document's cache unless `reusesAcrossDocuments`.
    public func beginDocument() throws {
        guard !reusesAcrossDocuments else { return }
        cache.truncate(to: 0); cached = []; lastRow = []; cachedPrefix = 0
    }

    /// Σ log p(continuation | context) and is-greedy for each pair, with one LM-head product over every
    /// continuation row of all pairs (the hidden rows are gathered first). Pairs sharing a context reuse it.
    /// `prefix`: the tokens of the contexts' few-shot prefix (description + exemplars), run as a stored state.
    public func logLikelihoods(
        _ pairs: [(context: [Int], continuation: [Int])], prefix: [Int]? = nil
    ) throws -> [(logProb: Double, isGreedy: Bool)] {
        var first: [(Double, Bool)] = [], normed: [Float] = [], counts: [Int] = []
        for (ctx, cont) in pairs {
            guard !cont.isEmpty else { throw ModelError.emptyPrompt }
            try prime(ctx, prefix: prefix, lastThroughProviders: nf)
            first.append((-Transformer.negLogProb(lastRow[...], target: cont[0]), Sampler.argmax(lastRow) == cont[0]))
            if cont.count > 1 {
                normed += try transformer.forwardNormed(
                    Array(cont.dropLast()), cache: cache, policies: policies,
                    scoreProviders: scoreProviders)
                ownTokens += cont.count - 1
                cache.truncate(to: ctx.count)
            }
            counts.append(cont.count - 1)
        }
        let n = counts.reduce(0, +)
        let lg = try transformer.logits(normed: normed, rows: n)  // [n, vocab]
        let targets = pairs.flatMap { $0.continuation.dropFirst() }  // [n] the token each row predicts
        let rows = Self.rowScores(lg, targets: targets, vocab: transformer.config.vocabSize)
        var out: [(logProb: Double, isGreedy: Bool)] = []
        var row = 0
        for (p, (_, cont)) in pairs.enumerated() {
            var (lp, greedy) = first[p]
            for i in 1..<max(1, cont.count) {
                lp -= rows[row].nll
                if greedy, rows[row].argmax != cont[i] { greedy = false }
                row += 1
            }
            out.append((lp, greedy))
        }
        return out
    }

    /// −log softmax and the argmax of each logits row, rows spread over the kernel threads: each row is the same
    /// sequential computation whichever thread runs it, so the results do not depend on the thread count. (The
    /// 262,144-entry softmax of Gemma is a sixth of a PIQA document's time on one thread.)
    static func rowScores(_ lg: [Float], targets: [Int], vocab: Int) -> [(nll: Double, argmax: Int)] {
        let n = targets.count
        var rows = [(nll: Double, argmax: Int)](repeating: (0, 0), count: n)
        let workers = max(1, min(Parallel.threads, n))
        rows.withUnsafeMutableBufferPointer { out in
            let out = out
            Parallel.forEach(workers) { w in
                for r in stride(from: w, to: n, by: workers) {
                    let row = lg[(r * vocab)..<((r + 1) * vocab)]
                    out[r] = (Transformer.negLogProb(row, target: targets[r]), Sampler.argmax(row))
                }
            }
        }
        return rows
    }

    /// lm-eval `_encode_pair`: trailing whitespace of the context moves to the continuation; the context
    /// is encoded alone (with BOS as the model asks) and the continuation is the tail of encode(context +
    /// continuation) after the context's token count.
    public func encodePair(context: String, continuation: String) -> (context: [Int], continuation: [Int]) {
        var ctx = context, cont = continuation
        let trimmed = ctx.replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        if trimmed.count < ctx.count {
            cont = String(ctx.dropFirst(trimmed.count)) + cont
            ctx = trimmed
        }
        let whole = encode(ctx + cont)
        let c = encode(ctx)
        return (c, Array(whole.dropFirst(c.count)))
    }

    public func encode(_ text: String) -> [Int] {
        tokenizer.encode(text, addBOS: tokenizer.addBOSByDefault, parseSpecial: true)
    }

    /// Σ log p(continuation tokens | context) and whether every continuation token is the argmax (lm-eval
    /// `is_greedy`). The first token is predicted by the context's last row; the others by the rows of
    /// continuation[0..<m−1], so the last continuation token is never run.
    public func logLikelihood(
        context: [Int], continuation: [Int], prefix: [Int]? = nil
    ) throws -> (logProb: Double, isGreedy: Bool) {
        try logLikelihoods([(context: context, continuation: continuation)], prefix: prefix)[0]
    }

    /// Greedy decoding after `context` until a stop string, EOS or `maxTokens`; the text is cut before the
    /// first stop string (lm-eval `generate_until`).
    public func generate(context: [Int], prefix: [Int]? = nil, until: [String], maxTokens: Int) throws -> String {
        try prime(context, prefix: prefix)
        defer { cache.truncate(to: context.count) }
        var out: [Int] = []
        var next = Sampler.argmax(lastRow)
        while out.count < maxTokens, !tokenizer.isEndOfGeneration(next) {
            out.append(next)
            let text = tokenizer.decode(out)
            if let cut = firstStop(text, until) { return String(text[..<cut]) }
            if out.count == maxTokens || context.count + out.count >= transformer.config.contextLength { break }
            let lg = try transformer.forward(
                [next], cache: cache, logits: .last, policies: policies, scoreProviders: scoreProviders)
            ownTokens += 1
            next = Sampler.argmax(lg.last)
        }
        return tokenizer.decode(out)
    }

    /// Makes the cache hold exactly `ids`, reusing the longest common prefix with what it holds. With NF,
    /// `lastThroughProviders` runs the last token through the providers after the standard prefill of the others.
    /// A context that `splits` at `prefix` runs as the prefix's stored state, then the rest in one call.
    private func prime(_ ids: [Int], prefix: [Int]? = nil, lastThroughProviders: Bool = false) throws {
        guard ids.count + 1 <= transformer.config.contextLength else {
            throw ModelError.promptTooLong(tokens: ids.count, context: transformer.config.contextLength)
        }
        if let prefix, splits(ids, at: prefix) {
            if ids == cached, !lastRow.isEmpty, cachedPrefix == prefix.count { return }
            if cachedPrefix == prefix.count, cached.starts(with: prefix) {
                cache.truncate(to: prefix.count)
            } else {
                cache.assign(from: try prefixes.state(prefix))
                cachedPrefix = prefix.count
            }
            let lg = try transformer.forward(
                Array(ids[prefix.count...]), cache: cache, logits: .last, policies: policies)
            ownTokens += ids.count - prefix.count
            lastRow = Array(lg.last)
            cached = ids
            cachedLastThroughProviders = false
            return
        }
        if ids == cached, !lastRow.isEmpty, cachedLastThroughProviders == lastThroughProviders, cachedPrefix == 0 {
            return
        }
        if nf, lastThroughProviders {
            cache.truncate(to: 0)
            if ids.count > 1 {
                _ = try transformer.forward(
                    Array(ids.dropLast()), cache: cache, logits: .none, policies: policies,
                    scoreProviders: scoreProviders, nfPrefill: true)
            }
            let lg = try transformer.forward(
                [ids[ids.count - 1]], cache: cache, logits: .last, policies: policies, scoreProviders: scoreProviders)
            ownTokens += ids.count
            lastRow = Array(lg.last)
            cached = ids
            cachedLastThroughProviders = true
            return
        }
        var common = 0
        while common < min(ids.count, cached.count), ids[common] == cached[common] { common += 1 }
        common = nf ? 0 : min(common, ids.count - 1)  // at least one token to get its logits row
        if cachedPrefix > 0, !reusesAcrossDocuments { common = 0 }  // a document that does not split starts afresh
        if common < cachedPrefix { cachedPrefix = 0 }
        cache.truncate(to: common)
        let lg = try transformer.forward(
            Array(ids[common...]), cache: cache, logits: .last, policies: policies,
            scoreProviders: scoreProviders, nfPrefill: nf)
        ownTokens += ids.count - common
        lastRow = Array(lg.last)
        cached = ids
        cachedLastThroughProviders = false
    }

}

/// Where the first of `stops` starts in `text`, if any.
func firstStop(_ text: String, _ stops: [String]) -> String.Index? {
    stops.filter { !$0.isEmpty }.compactMap { text.range(of: $0)?.lowerBound }.min()
}
