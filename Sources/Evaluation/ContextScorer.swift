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
    /// uninterrupted one). Within a document the grouping is fixed (context once, then each continuation).
    public let reusesAcrossDocuments: Bool
    private let cache: KVCache
    /// The tokens whose keys/values `cache` holds, and the logits row that follows them.
    private var cached: [Int] = []
    /// Whether `cached`'s last token ran through the providers (NF scoring) rather than in the standard prefill.
    private var cachedLastThroughProviders = false
    private var lastRow: [Float] = []
    /// Tokens run through the model (prefill + continuations + decoding), for the run's log.
    public private(set) var tokensRun = 0

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
    }

    /// Call before each document: drops the previous document's cache unless `reusesAcrossDocuments`.
    public func beginDocument() throws {
        guard !reusesAcrossDocuments else { return }
        cache.truncate(to: 0); cached = []; lastRow = []
    }

    /// Σ log p(continuation | context) and is-greedy for each pair, with one LM-head product over every
    /// continuation row of all pairs (the hidden rows are gathered first). Pairs sharing a context reuse it.
    public func logLikelihoods(
        _ pairs: [(context: [Int], continuation: [Int])]
    ) throws -> [(logProb: Double, isGreedy: Bool)] {
        var first: [(Double, Bool)] = [], normed: [Float] = [], counts: [Int] = []
        for (ctx, cont) in pairs {
            guard !cont.isEmpty else { throw ModelError.emptyPrompt }
            try prime(ctx, lastThroughProviders: nf)
            first.append((-Transformer.negLogProb(lastRow[...], target: cont[0]), Sampler.argmax(lastRow) == cont[0]))
            if cont.count > 1 {
                normed += try transformer.forwardNormed(
                    Array(cont.dropLast()), cache: cache, policies: policies,
                    scoreProviders: scoreProviders)
                tokensRun += cont.count - 1
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
    public func logLikelihood(context: [Int], continuation: [Int]) throws -> (logProb: Double, isGreedy: Bool) {
        try logLikelihoods([(context: context, continuation: continuation)])[0]
    }

    /// Greedy decoding after `context` until a stop string, EOS or `maxTokens`; the text is cut before the
    /// first stop string (lm-eval `generate_until`).
    public func generate(context: [Int], until: [String], maxTokens: Int) throws -> String {
        try prime(context)
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
            tokensRun += 1
            next = Sampler.argmax(lg.last)
        }
        return tokenizer.decode(out)
    }

    /// Makes the cache hold exactly `ids`, reusing the longest common prefix with what it holds. With NF,
    /// `lastThroughProviders` runs the last token through the providers after the standard prefill of the others.
    private func prime(_ ids: [Int], lastThroughProviders: Bool = false) throws {
        guard ids.count + 1 <= transformer.config.contextLength else {
            throw ModelError.promptTooLong(tokens: ids.count, context: transformer.config.contextLength)
        }
        if ids == cached, !lastRow.isEmpty, cachedLastThroughProviders == lastThroughProviders { return }
        if nf, lastThroughProviders {
            cache.truncate(to: 0)
            if ids.count > 1 {
                _ = try transformer.forward(
                    Array(ids.dropLast()), cache: cache, logits: .none, policies: policies,
                    scoreProviders: scoreProviders, nfPrefill: true)
            }
            let lg = try transformer.forward(
                [ids[ids.count - 1]], cache: cache, logits: .last, policies: policies, scoreProviders: scoreProviders)
            tokensRun += ids.count
            lastRow = Array(lg.last)
            cached = ids
            cachedLastThroughProviders = true
            return
        }
        var common = 0
        while common < min(ids.count, cached.count), ids[common] == cached[common] { common += 1 }
        common = nf ? 0 : min(common, ids.count - 1)  // at least one token to get its logits row
        cache.truncate(to: common)
        let lg = try transformer.forward(
            Array(ids[common...]), cache: cache, logits: .last, policies: policies,
            scoreProviders: scoreProviders, nfPrefill: nf)
        tokensRun += ids.count - common
        lastRow = Array(lg.last)
        cached = ids
        cachedLastThroughProviders = false
    }

}

/// Where the first of `stops` starts in `text`, if any.
func firstStop(_ text: String, _ stops: [String]) -> String.Index? {
    stops.filter { !$0.isEmpty }.compactMap { text.range(of: $0)?.lowerBound }.min()
}
