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
        // The first continuation token is predicted by the context's last row: NF's equals the baseline's exactly.
        let base1 = try plain.logLikelihood(context: ctx, continuation: [cont[0]]).logProb
        #expect(try nf.logLikelihood(context: ctx, continuation: [cont[0]]).logProb == base1)
        let lisa1 = try lisa.logLikelihood(context: ctx, continuation: [cont[0]]).logProb
        #expect(abs(lisa1 - base1) > 1e-4, "the LiSA layers do not change the scores: the check is void")

        // The whole continuation, by hand: NF prefill of the context, then the continuation through the providers.
        let p = runtime.replica().providers, cache = t.makeCache()
        let row0 = try t.forward(ctx, cache: cache, logits: .last, scoreProviders: p, nfPrefill: true)
        let rows = try t.forward(Array(cont.dropLast()), cache: cache, logits: .all, scoreProviders: p)
        var expected = -Transformer.negLogProb(row0.last, target: cont[0])
        for i in 1..<cont.count { expected -= Transformer.negLogProb(rows.row(i - 1), target: cont[i]) }
        let got = try nf.logLikelihood(context: ctx, continuation: cont).logProb
        #expect(abs(got - expected) < 1e-9, "NF scorer \(got) vs hand-run \(expected)")
        let plainWhole = try plain.logLikelihood(context: ctx, continuation: cont).logProb
        #expect(abs(got - plainWhole) > 1e-4, "the continuation did not run through the LiSA layers")

        // A second context sharing a prefix is prefilled from scratch (NF needs an empty cache): it equals a fresh
        // scorer's.
        let ctx2 = ctx + [33]
        let again = try nf.logLikelihood(context: ctx2, continuation: cont).logProb
        let fresh = try ContextScorer(model: m, scoreProviders: runtime.replica().providers, nf: true)
            .logLikelihood(context: ctx2, continuation: cont).logProb
        #expect(again == fresh)
    }
}
