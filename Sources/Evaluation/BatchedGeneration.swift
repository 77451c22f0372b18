import Foundation
import Models
import Tokenizers

/// Greedy `generate_until` for many contexts at once (lm-eval semantics, as `ContextScorer.generate`): up to
/// `batch` sequences decode together — one `forwardBatch` of single tokens at each sequence's own position per
/// step — and a finished slot takes the next context after a prefill of its own. Each row of a step computes
/// alone (integer products; attention per sequence), so the texts equal one-at-a-time decoding.
public struct BatchedGenerator {
    public let transformer: Transformer
    public let tokenizer: any Tokenizer
    public let policies: AttentionPolicies
    public let batch: Int
    /// Few-shot prefix states (shared with the run's `ContextScorer`, whose `generate` splits the same way).
    public let prefixes: PrefixStates

    public init(
        model: LoadedModel, policies: AttentionPolicies = AttentionPolicies(), batch: Int,
        prefixes: PrefixStates? = nil
    ) {
        transformer = model.transformer; tokenizer = model.tokenizer; self.policies = policies;
        self.batch = max(1, batch)
        self.prefixes = prefixes ?? PrefixStates(transformer: model.transformer, policies: policies)
    }

    public struct Job: Sendable {
        public let context: [Int], until: [String], maxTokens: Int
        /// The context's few-shot prefix tokens: it runs as their stored state, then the rest (`PrefixStates`).
        public let prefix: [Int]?
        public init(context: [Int], until: [String], maxTokens: Int, prefix: [Int]? = nil) {
            self.context = context; self.until = until; self.maxTokens = maxTokens; self.prefix = prefix
        }
    }

    private final class Slot {
        let job: Int, cache: KVCache, contextCount: Int
        var out: [Int] = [], next: Int, tokens: Int
        init(job: Int, cache: KVCache, contextCount: Int, next: Int, prefilled: Int) {
            self.job = job; self.cache = cache; self.contextCount = contextCount; self.next = next;
            tokens = prefilled
        }
    }

    /// Runs every job; `done(job, text, tokensRun, seconds)` as each finishes (in finishing order).
    public func run(_ jobs: [Job], done: (Int, String, Int, Double) throws -> Void) throws {
        let ctxLimit = transformer.config.contextLength
        var slots: [Slot] = [], started: [Int: Date] = [:], nextJob = 0
        func fill() throws {
            while slots.count < batch, nextJob < jobs.count {
                let j = jobs[nextJob]
                guard j.context.count + 1 <= ctxLimit else {
                    throw ModelError.promptTooLong(tokens: j.context.count, context: ctxLimit)
                }
                started[nextJob] = Date()
                let cache = transformer.makeCache(reserve: j.context.count + j.maxTokens)
                var start = 0
                if PrefixStates.splits(j.context, at: j.prefix), let p = j.prefix {
                    cache.assign(from: try prefixes.state(p))
                    start = p.count
                }
                let lg = try transformer.forward(
                    Array(j.context[start...]), cache: cache, logits: .last, policies: policies)
                slots.append(
                    Slot(
                        job: nextJob, cache: cache, contextCount: j.context.count, next: Sampler.argmax(lg.last),
                        prefilled: j.context.count - start))
                nextJob += 1
            }
        }
        try fill()
        while !slots.isEmpty {
            var stepping: [Slot] = []
            for s in slots {
                let j = jobs[s.job]
                var text: String?
                if s.out.count >= j.maxTokens || tokenizer.isEndOfGeneration(s.next) {
                    text = tokenizer.decode(s.out)
                } else {
                    s.out.append(s.next)
                    let t = tokenizer.decode(s.out)
                    if let cut = firstStop(t, j.until) {
                        text = String(t[..<cut])
                    } else if s.out.count == j.maxTokens || s.contextCount + s.out.count >= ctxLimit {
                        text = t
                    }
                }
                if let text {
                    try done(s.job, text, s.tokens, Date().timeIntervalSince(started[s.job]!))
                } else {
                    stepping.append(s)
                }
            }
            if !stepping.isEmpty {
                let lg = try transformer.forwardBatch(
                    stepping.map { [$0.next] }, caches: stepping.map(\.cache), logits: .last,
                    policies: policies)
                for (s, l) in zip(stepping, lg) { s.next = Sampler.argmax(l.last); s.tokens += 1 }
            }
            slots = stepping
            try fill()
        }
    }
}
