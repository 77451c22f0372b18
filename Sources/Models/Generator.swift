import Foundation
import Tokenizers

/// Options of one generation run.
public struct GenerationOptions: Sendable {
    public var maxTokens: Int
    public var sampler: Sampler
    public var stopStrings: [String]
    public var stopAtEOS: Bool
    public var policies: AttentionPolicies
    /// §5.2 "NF": the prompt runs with standard attention in the score providers' layers (which only record
    /// their state), the providers score from the first generated token on.
    public var nfPrefill: Bool

    public init(
        maxTokens: Int, sampler: Sampler = .greedy(), stopStrings: [String] = [], stopAtEOS: Bool = true,
        policies: AttentionPolicies = AttentionPolicies(), nfPrefill: Bool = false
    ) {
        self.maxTokens = maxTokens; self.sampler = sampler; self.stopStrings = stopStrings
        self.stopAtEOS = stopAtEOS; self.policies = policies; self.nfPrefill = nfPrefill
    }
}

public struct GenerationResult: Sendable {
    public var promptIDs: [Int]
    public var ids: [Int]
    public var text: String
    public enum StopReason: String, Sendable { case maxTokens, eos, stopString }
    public var stopReason: StopReason
}

extension Transformer {
    /// Prefills the prompt, then decodes token by token with the KV cache.
    /// `tap` sees every forward call (prefill rows, then one row per generated token).
    /// `scoreProviders` replace the scores of their layers (see `LayerScoreProvider`); they are reset first.
    public func generate(
        promptIDs: [Int], tokenizer: (any Tokenizer)?, options: GenerationOptions,
        tap: AttentionTap? = nil, scoreProviders: LayerScoreProviders = [:]
    ) throws -> GenerationResult {
        var opts = options
        // Checked before the cache is reserved from it (and without overflowing).
        let (needed, overflow) = promptIDs.count.addingReportingOverflow(max(opts.maxTokens, 0))
        guard !overflow, needed <= config.contextLength else {
            throw ModelError.promptTooLong(tokens: overflow ? Int.max : needed, context: config.contextLength)
        }
        let cache = makeCache(reserve: needed)
        for p in scoreProviders.values { p.reset() }
        var logits = try forward(
            promptIDs, cache: cache, policies: opts.policies, tap: tap, scoreProviders: scoreProviders,
            nfPrefill: opts.nfPrefill)
        var out: [Int] = []
        var reason = GenerationResult.StopReason.maxTokens
        var text = ""
        while out.count < opts.maxTokens {
            let next = opts.sampler.sample(logits.last)
            if opts.stopAtEOS, let tk = tokenizer, tk.isEndOfGeneration(next) { reason = .eos; break }
            out.append(next)
            if let tk = tokenizer, !opts.stopStrings.isEmpty {
                text = tk.decode(out)
                if let stop = opts.stopStrings.compactMap({ text.range(of: $0) }).min(by: {
                    $0.lowerBound < $1.lowerBound
                }) {
                    text = String(text[..<stop.lowerBound]); reason = .stopString
                    return GenerationResult(promptIDs: promptIDs, ids: out, text: text, stopReason: reason)
                }
            }
            if out.count == opts.maxTokens { break }
            logits = try forward(
                [next], cache: cache, policies: opts.policies, tap: tap, scoreProviders: scoreProviders)
        }
        text = tokenizer?.decode(out) ?? ""
        return GenerationResult(promptIDs: promptIDs, ids: out, text: text, stopReason: reason)
    }
}
