import Foundation

public struct PerplexityResult: Sendable, Codable {
    public var perplexity: Double
    /// PPL × standard error of the mean NLL (llama-perplexity's ±).
    public var plusMinus: Double
    public var chunks: Int
    public var scoredTokens: Int
    public var meanNLL: Double
    public var context: Int
}

extension Transformer {
    /// Perplexity chunked exactly like llama.cpp's `llama-perplexity` (../shared/oracles/perplexity.md):
    /// ⌊n/ctx⌋ non-overlapping chunks; when the model adds BOS the first token of each chunk is
    /// replaced by BOS; only the second half of each chunk is scored (logits at positions
    /// ctx/2 … ctx−2 predict tokens ctx/2+1 … ctx−1); PPL = exp(mean NLL), accumulated in Double.
    public func perplexity(
        tokens: [Int], context ctx: Int, bos: Int?, policies: AttentionPolicies = AttentionPolicies(),
        progress: ((Int, Int) -> Void)? = nil
    ) throws -> PerplexityResult {
        guard ctx >= 4 else { throw ModelError.badPolicy(layer: -1, reason: "context must be at least 4 tokens") }
        guard ctx <= config.contextLength else {
            throw ModelError.promptTooLong(tokens: ctx, context: config.contextLength)
        }
        let nChunks = tokens.count / ctx
        let first = ctx / 2
        var nlls: [Double] = []
        for ci in 0..<nChunks {
            var chunk = Array(tokens[(ci * ctx)..<((ci + 1) * ctx)])
            if let bos { chunk[0] = bos }
            let cache = makeCache(reserve: ctx)
            let lg = try forward(chunk, cache: cache, logits: .range(first..<(ctx - 1)), policies: policies)
            for r in 0..<lg.rows {
                let target = chunk[first + r + 1]
                nlls.append(Transformer.negLogProb(lg.row(r), target: target))
            }
            progress?(ci + 1, nChunks)
        }
        let n = Double(nlls.count)
        let mean = nlls.reduce(0, +) / max(n, 1)
        let variance = n > 1 ? nlls.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n : 0
        let ppl = exp(mean)
        return PerplexityResult(
            perplexity: ppl, plusMinus: n > 1 ? ppl * (variance / (n - 1)).squareRoot() : 0,
            chunks: nChunks, scoredTokens: nlls.count, meanNLL: mean, context: ctx)
    }

    /// −log softmax(logits)[target], in Double.
    public static func negLogProb(_ logits: ArraySlice<Float>, target: Int) -> Double {
        logSumExp(logits) - Double(logits[logits.startIndex + target])
    }

    public static func logSumExp(_ logits: ArraySlice<Float>) -> Double {
        var mx = -Float.infinity
        for v in logits where v > mx { mx = v }
        var s = 0.0
        for v in logits { s += exp(Double(v - mx)) }
        return Double(mx) + log(s)
    }
}
