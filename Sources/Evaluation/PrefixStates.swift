import Foundation
import Models

/// The KV states of few-shot prefixes (description + exemplars), each computed by one forward call on the prefix
/// alone from an empty cache. A document whose context starts with a stored prefix continues from a copy of its
/// state, so its numbers are those of "prefix in one call, then the rest in one call" whatever ran before —
/// with 8-bit activations the numbers depend on how tokens are grouped into calls (see
/// `ContextScorer.reusesAcrossDocuments`), so the grouping is fixed by the document alone and a resumed or
/// reordered run equals an uninterrupted one. The MMLU subject's five exemplars and GSM8K's eight CoT exemplars
/// are then computed once per subject (once per run) instead of once per document.
public final class PrefixStates {
    let transformer: Transformer
    let policies: AttentionPolicies
    /// Most recently used last; at most `capacity` (documents are scored grouped by prefix, so a few suffice).
    private var entries: [(tokens: [Int], cache: KVCache)] = []
    let capacity: Int
    /// Tokens run to compute prefixes, for the run's log.
    public private(set) var tokensRun = 0
    /// What a run's parameters record for runs that split few-shot contexts this way.
    public static let definition = "fewshot-prefix-own-call"

    public init(transformer: Transformer, policies: AttentionPolicies, capacity: Int = 4) {
        self.transformer = transformer; self.policies = policies; self.capacity = max(1, capacity)
    }

    /// Whether a run's contexts may run as stored prefix states: not with score providers (LiSA layers, whose state
    /// is per position and not in the KV cache) nor NF.
    public static func usable(hasProviders: Bool, nf: Bool) -> Bool { !hasProviders && !nf }

    /// Whether a run's few-shot contexts run as stored prefix states (what its parameters record as `definition`).
    public static func applies(shots: Int, hasProviders: Bool, nf: Bool) -> Bool {
        shots > 0 && usable(hasProviders: hasProviders, nf: nf)
    }

    /// Whether `context` can run as `prefix` then the rest: it starts with the prefix's tokens (the tokenizer may
    /// merge across the boundary, then the document runs in one call) and has at least one token after it.
    public static func splits(_ context: [Int], at prefix: [Int]?) -> Bool {
        guard let prefix, !prefix.isEmpty, prefix.count < context.count else { return false }
        return context.starts(with: prefix)
    }

    /// The stored state of `prefix` (computed now if absent). Callers copy or assign it; they never append to it.
    public func state(_ prefix: [Int]) throws -> KVCache {
        if let i = entries.firstIndex(where: { $0.tokens == prefix }) {
            let e = entries.remove(at: i)
            entries.append(e)
            return e.cache
        }
        let c = transformer.makeCache(reserve: prefix.count)
        _ = try transformer.forward(prefix, cache: c, logits: .none, policies: policies)
        tokensRun += prefix.count
        entries.append((prefix, c))
        if entries.count > capacity { entries.removeFirst() }
        return c
    }
}
