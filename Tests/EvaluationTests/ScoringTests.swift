import Evaluation
import Models
import Testing
import TestSupport

/// Log-likelihood scoring against Gemma 3 270M: the prefix-cached scorer must give the same sums as one
/// uncached forward pass over context + continuation with per-token negLogProb (exact products: with 8-bit
/// activations a different grouping of tokens into calls moves Gemma's log-likelihoods by up to ~0.5).
@Suite(.serialized) struct ScoringTests {
    /// Loaded once; a failed load fails every test that asks for it.
    static let loaded = Result { try LoadedModel(path: TestPaths.gemma, threads: 2, exact: true) }

    /// Σ −negLogProb over the continuation, from a single forward on a fresh cache.
    func reference(_ m: LoadedModel, _ ctx: [Int], _ cont: [Int]) throws -> Double {
        let all = ctx + cont
        let lg = try m.transformer.forward(all, cache: m.transformer.makeCache(), logits: .all)
        return (ctx.count..<all.count).reduce(0.0) { $0 - Transformer.negLogProb(lg.row($1 - 1), target: all[$1]) }
    }

    @Test(.needsGemma) func summedLogProbEqualsPerTokenNegLogProb() throws {
        let m = try Self.loaded.get()
        let s = ContextScorer(model: m)
        let (c, a) = s.encodePair(
            context: "Question: How do I boil an egg?\nAnswer:",
            continuation: " Put it in boiling water for eight minutes.")
        let (_, b) = s.encodePair(
            context: "Question: How do I boil an egg?\nAnswer:", continuation: " Put it in the freezer overnight.")
        #expect(c.first == m.tokenizer.bosID && a.count > 3)
        let ra = try reference(m, c, a), rb = try reference(m, c, b)
        // Order A, B, A: the second A reuses the cached context; sums agree to float rounding.
        let la = try s.logLikelihood(context: c, continuation: a).logProb
        let lb = try s.logLikelihood(context: c, continuation: b).logProb
        let la2 = try s.logLikelihood(context: c, continuation: a).logProb
        print("summed log-prob A \(la) (reference \(ra)), B \(lb) (reference \(rb))")
        #expect(abs(la - ra) < 1e-3 && abs(lb - rb) < 1e-3 && abs(la2 - la) < 1e-3)
        #expect(la < lb)  // the shorter continuation has the larger sum: why acc_norm divides by length
    }

    @Test(.needsGemma) func encodePairMovesTrailingSpaceAndSplitsTheJointEncoding() throws {
        let m = try Self.loaded.get()
        let s = ContextScorer(model: m)
        let (c, k) = s.encodePair(context: "The capital of France is ", continuation: "Paris")
        #expect(c == s.encode("The capital of France is"))
        #expect(c + k == s.encode("The capital of France is Paris"))
        #expect(m.tokenizer.decode(k) == " Paris")
    }

    @Test(.needsGemma) func greedyLambadaStyleMatch() throws {
        let m = try Self.loaded.get()
        let s = ContextScorer(model: m)
        let (c, k) = s.encodePair(context: "One, two, three, four,", continuation: " five")
        let r = try s.logLikelihood(context: c, continuation: k)
        let text = try s.generate(context: c, until: [","], maxTokens: 4)
        print("count continuation: log-prob \(r.logProb), greedy \(r.isGreedy), generated \(text.debugDescription)")
        #expect(r.isGreedy == (text == " five"))
    }
}
