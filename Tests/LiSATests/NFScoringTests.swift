import Evaluation
import Foundation
import LiSA
import Models
import TestSupport
import Testing

/// `lisa eval --lisa … --nf` (§5.2 NF, Table 10): the ContextScorer prefills every context with standard
/// attention in the LiSA layers and scores the continuation with them.
@Suite struct NFScoringTests {
    @Test func nfScoresContextsWithStandardAttentionAndContinuationsWithLiSA() throws {
        let dir = try TestPaths.tempDir("nf-scoring"); defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("qwen2.gguf").path
        try TinyModel(arch: "qwen2").write(to: path)
        let m = try LoadedModel(path: path, threads: 1), t = m.transformer
        let runtime = LiSARuntime(
            sharing: SharingConfig(lisaLayers: [1, 2]), layers: RuntimeTests.layers([1, 2], model: t))
        let ctx = [1, 5, 9, 13, 17, 21, 25], cont = [30, 40, 50, 60]

        let plain = ContextScorer(model: m)
        let lisa = ContextScorer(model: m, scoreProviders: runtime.replica().providers)
        let nf = ContextScorer(model: m, scoreProviders: runtime.replica().providers, nf: true)
        // The first continuation token is predicted by the context's last row, which NF runs through the LiSA layers
        // (after a standard prefill of the rest): it differs from the baseline's (the artefact of issue 18, item 7, was
        // that it equalled it, so one-token continuations scored as the original model).
        let base1 = try plain.logLikelihood(context: ctx, continuation: [cont[0]]).logProb
        let lisa1 = try lisa.logLikelihood(context: ctx, continuation: [cont[0]]).logProb
        #expect(abs(lisa1 - base1) > 1e-4, "the LiSA layers do not change the scores: the check is void")
        #expect(abs(try nf.logLikelihood(context: ctx, continuation: [cont[0]]).logProb - base1) > 1e-6)

        // The whole continuation, by hand: NF prefill of the context but its last token, then that token and the
        // continuation through the providers.
        let p = runtime.replica().providers, cache = t.makeCache()
        _ = try t.forward(Array(ctx.dropLast()), cache: cache, logits: .none, scoreProviders: p, nfPrefill: true)
        let rows = try t.forward([ctx[ctx.count - 1]] + cont.dropLast(), cache: cache, logits: .all, scoreProviders: p)
        var expected = 0.0
        for i in 0..<cont.count { expected -= Transformer.negLogProb(rows.row(i), target: cont[i]) }
        let got = try nf.logLikelihood(context: ctx, continuation: cont).logProb
        #expect(abs(got - expected) < 1e-5, "NF scorer \(got) vs hand-run \(expected)")
        let plainWhole = try plain.logLikelihood(context: ctx, continuation: cont).logProb
        #expect(abs(got - plainWhole) > 1e-4, "the continuation did not run through the LiSA layers")
        // A generation context is prefilled whole with standard attention (the paper's NF decoding): its first token
        // is the baseline's argmax.
        #expect(try nf.generate(context: ctx, until: [], maxTokens: 1) == plain.generate(context: ctx, until: [], maxTokens: 1))

        // A second context sharing a prefix is prefilled from scratch (NF needs an empty cache): it equals a fresh
        // scorer's.
        let ctx2 = ctx + [33]
        let again = try nf.logLikelihood(context: ctx2, continuation: cont).logProb
        let fresh = try ContextScorer(model: m, scoreProviders: runtime.replica().providers, nf: true)
            .logLikelihood(context: ctx2, continuation: cont).logProb
        #expect(again == fresh)
    }
}
