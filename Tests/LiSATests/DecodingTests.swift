import Foundation
import GGUF
import LiSA
import Models
import Numerics
import TestSupport
import Testing

/// Gemma 3 270M loaded once for this test process (weights dequantized to Float32); a failed load fails
/// every test that asks for the model.
enum GemmaModel {
    static let loaded = Result { try Transformer(gguf: GGUFFile(path: TestPaths.gemma), weights: .f32) }
    static func model() throws -> Transformer { try loaded.get() }
    /// The LiSA layers of the trained checkpoints in the README (0-based).
    static let lisaLayers = [7, 8, 9, 13, 14, 15]

    /// LiSA layers at the paper's rank (40 for d_k = 256) and F = 256, moved away from the DS-equivalent init by a
    /// seeded perturbation so that A_Δ and the FFN matter (`perturb` 0: the DS-equivalent init itself).
    static func layers(perturb: Float = 0.05, lowRankScale: Float = 5) throws -> [LiSALayer] {
        let config = try model().config
        return lisaLayers.map { n in
            let L = LiSALayer(index: n, source: n - 1, config: config)
            L.params.initialize(seed: UInt64(1000 + n))
            guard perturb > 0 else { return L }
            var rng = GaussianRNG(seed: UInt64(31 * n + 5))
            for t in L.params.alignFFN.tensors { for i in 0..<t.buffer.count { t.buffer[i] += rng.next() * perturb } }
            for i in 0..<L.params.lowRankQ.count { L.params.lowRankQ[i] *= lowRankScale }
            for i in 0..<L.params.lowRankK.count { L.params.lowRankK[i] *= lowRankScale }
            return L
        }
    }
    static func runtime(_ layers: [LiSALayer]) throws -> LiSARuntime {
        LiSARuntime(sharing: SharingConfig(lisaLayers: lisaLayers, nLayers: try model().config.nLayers), layers: layers)
    }
    /// "<bos>The quick brown fox jumps over the lazy dog. It" in Gemma's vocabulary is not needed: any in-vocabulary
    /// ids make a valid prompt; these are fixed so that runs are comparable.
    static func prompt(_ n: Int, salt: Int = 0) -> [Int] {
        [2] + (1..<n).map { ($0 * 7919 + 131 * salt + 17) % 30000 + 100 }
    }
}

/// Full recompute through the training graph: `lisaAttentionForward` (LiSAAttention.swift) over all positions,
/// no low-rank K cache. Only valid for calls that start at position 0.
final class TrainingGraphScores: LayerScoreProvider {
    let layers: [Int: LiSALayer]
    init(_ layers: [LiSALayer]) { self.layers = Dictionary(uniqueKeysWithValues: layers.map { ($0.index, $0) }) }
    func scores(
        layer n: Int, input: UnsafePointer<Float>, T: Int, p0: Int, prevScores: UnsafePointer<Float>, S: Int,
        into out: UnsafeMutablePointer<Float>
    ) {
        precondition(p0 == 0 && S == T, "the training graph recomputes whole sequences")
        let L = layers[n]!, acts = LiSAActs(layer: L, T: T)
        lisaAttentionForward(L, input: input, prevScores: prevScores, acts: acts)
        out.update(from: acts.scores.pointer, count: L.heads * T * T)
    }
    func observe(layer: Int, input: UnsafePointer<Float>, T: Int, p0: Int) {
        preconditionFailure("no NF in the training graph")
    }
    func reset() {}
    var providers: LayerScoreProviders {
        Dictionary(uniqueKeysWithValues: layers.keys.map { ($0, self as any LayerScoreProvider) })
    }
}

/// Max |a − b| elementwise; collections of different lengths record an issue and give infinity.
func maxAbsDiff<A: Collection, B: Collection>(
    _ a: A, _ b: B, sourceLocation: SourceLocation = #_sourceLocation
)
    -> Float where A.Element == Float, B.Element == Float
{
    guard a.count == b.count else {
        Issue.record("\(a.count) values compared with \(b.count)", sourceLocation: sourceLocation)
        return .infinity
    }
    return zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
}

@Suite(.serialized) struct DecodingTests {
    /// Issue #8: 64 greedy tokens on Gemma, the runtime (KV cache + low-rank K cache, one row per step) against a
    /// full recompute of the whole sequence through the training graph at every step: same 64 tokens, and every
    /// step's logits within 1e-2 (Float32; gemv vs gemm summation order over 18 layers and up to 71 positions;
    /// Gemma's logits reach tens, so this is a relative 1e-4–1e-3; measured 4.7e-3).
    @Test(.needsGemma) func sixtyFourGreedyTokensMatchTrainingGraph() throws {
        let model = try GemmaModel.model()
        let layers = try GemmaModel.layers(), rt = try GemmaModel.runtime(layers), graph = TrainingGraphScores(layers)
        let prompt = GemmaModel.prompt(8), n = 64
        let gen = try model.generate(
            promptIDs: prompt, tokenizer: nil, options: GenerationOptions(maxTokens: n, stopAtEOS: false),
            scoreProviders: rt.providers)
        rt.reset()
        let cache = model.makeCache(reserve: prompt.count + n)
        var inc = try model.forward(prompt, cache: cache, scoreProviders: rt.providers)
        var ids = prompt, worst: Float = 0, full: [Int] = []
        for k in 0..<n {
            let ref = try model.forward(ids, cache: model.makeCache(), scoreProviders: graph.providers)
            worst = max(worst, maxAbsDiff(inc.last, ref.last))
            let next = Sampler.argmax(ref.last)
            full.append(next); ids.append(next)
            if k < n - 1 { inc = try model.forward([next], cache: cache, scoreProviders: rt.providers) }
        }
        #expect(rt.layers.allSatisfy { $0.count == prompt.count + n - 1 })
        // the weights are not DS's: the same prompt under DS gives other logits
        let ds = try model.forward(
            prompt, cache: model.makeCache(),
            policies: AttentionPolicies(
                Dictionary(uniqueKeysWithValues: GemmaModel.lisaLayers.map { ($0, .directShare(headMap: nil)) })))
        let lisa = try model.forward(prompt, cache: model.makeCache(), scoreProviders: rt.providers)
        let fromDS = maxAbsDiff(ds.last, lisa.last)
        print(
            "64 tokens: \(gen.ids.prefix(16))…; max |logit_runtime − logit_training_graph| = \(worst); max |LiSA − "
                + "DS| = \(fromDS)"
        )
        #expect(gen.ids.count == n)
        #expect(gen.ids == full)
        #expect(worst <= 1e-2)
        #expect(fromDS > 0.1)
    }

    /// NF (§5.2): the prompt runs with standard attention in the LiSA layers, which only record K_LR.
    /// Prefill logits equal the baseline's bit for bit; the LiSA layers keep no K; the first LiSA layer's K_LR equals
    /// the one a LiSA prefill computes (same input H there); at the DS-equivalent init, NF decoding equals
    /// "baseline prefill, then DS in those layers" (tokens equal, logits within 1e-3).
    @Test(.needsGemma) func nfPrefillIsStandardThenLiSA() throws {
        let model = try GemmaModel.model(), prompt = GemmaModel.prompt(12), n = 8
        let rt = try GemmaModel.runtime(try GemmaModel.layers())
        let base = try model.forward(prompt, cache: model.makeCache(), logits: .all)
        let cacheNF = model.makeCache()
        let nf = try model.forward(prompt, cache: cacheNF, logits: .all, scoreProviders: rt.providers, nfPrefill: true)
        #expect(nf.values == base.values)
        for l in GemmaModel.lisaLayers { #expect(cacheNF.bytes(layer: l).k == 0) }
        #expect(rt.layers.allSatisfy { $0.count == prompt.count })
        let first = rt.layers[0].lowRankKeys
        let rt2 = rt.replica()
        _ = try model.forward(prompt, cache: model.makeCache(), scoreProviders: rt2.providers)
        #expect(first == rt2.layers[0].lowRankKeys)
        // NF needs an empty cache
        #expect(throws: ModelError.self) {
            try model.forward([5], cache: cacheNF, scoreProviders: rt.providers, nfPrefill: true)
        }

        // DS-equivalent init: NF decoding = standard prefill + DS decoding
        let dsInit = try GemmaModel.runtime(try GemmaModel.layers(perturb: 0))
        let gen = try model.generate(
            promptIDs: prompt, tokenizer: nil,
            options: GenerationOptions(maxTokens: n, stopAtEOS: false, nfPrefill: true),
            scoreProviders: dsInit.providers)
        let dsPolicies = AttentionPolicies(
            Dictionary(uniqueKeysWithValues: GemmaModel.lisaLayers.map { ($0, .directShare(headMap: nil)) }))
        let cacheRef = model.makeCache(), cacheRT = model.makeCache()
        dsInit.reset()
        var ref = try model.forward(prompt, cache: cacheRef)
        var got = try model.forward(prompt, cache: cacheRT, scoreProviders: dsInit.providers, nfPrefill: true)
        var ids: [Int] = [], worst: Float = 0
        for _ in 0..<n {
            worst = max(worst, maxAbsDiff(got.last, ref.last))
            let t = Sampler.argmax(ref.last)
            ids.append(t)
            ref = try model.forward([t], cache: cacheRef, policies: dsPolicies)
            got = try model.forward([t], cache: cacheRT, scoreProviders: dsInit.providers)
        }
        // and NF decoding differs from full-LiSA decoding at the DS init only through the prompt rows: not tested here
        print("NF at DS init: \(gen.ids) vs reference \(ids); max |logit diff| = \(worst)")
        #expect(gen.ids == ids)
        #expect(worst <= 1e-3)
    }

    /// Batched decoding: B = 3 sequences decoded together (one gemm per weight per step, per-sequence caches)
    /// give the tokens of three batch-1 runs and logits within 1e-3 (gemm vs gemv summation order), for the
    /// baseline and for LiSA (one runtime per sequence).
    @Test(.needsGemma, arguments: [false, true])
    func batchOfThreeEqualsThreeSingleRuns(lisa: Bool) throws {
        let model = try GemmaModel.model(), n = 6, B = 3
        let prompts = (0..<B).map { GemmaModel.prompt(10, salt: $0) }
        let proto = try GemmaModel.runtime(try GemmaModel.layers())
        let runtimes = (0..<B).map { _ in proto.replica() }
        let providers = lisa ? runtimes.map(\.providers) : []
        let caches = (0..<B).map { _ in model.makeCache() }
        var logits = try model.forwardBatch(prompts, caches: caches, scoreProviders: providers)
        var batchIDs = Array(repeating: [Int](), count: B), batchLogits = Array(repeating: [[Float]](), count: B)
        for step in 0..<n {
            let next = logits.map { Sampler.argmax($0.last) }
            for b in 0..<B { batchIDs[b].append(next[b]); batchLogits[b].append(Array(logits[b].last)) }
            if step < n - 1 {
                logits = try model.forwardBatch(next.map { [$0] }, caches: caches, scoreProviders: providers)
            }
        }
        var worst: Float = 0
        for b in 0..<B {
            let rt = proto.replica()
            let cache = model.makeCache()
            var single = try model.forward(prompts[b], cache: cache, scoreProviders: lisa ? rt.providers : [:])
            for step in 0..<n {
                worst = max(worst, maxAbsDiff(single.last, batchLogits[b][step]))
                #expect(Sampler.argmax(single.last) == batchIDs[b][step], "sequence \(b), step \(step)")
                if step < n - 1 {
                    single = try model.forward(
                        [batchIDs[b][step]], cache: cache, scoreProviders: lisa ? rt.providers : [:])
                }
            }
            #expect(cache.bytes == caches[b].bytes)
        }
        print("batch \(B) \(lisa ? "LiSA" : "baseline"): \(batchIDs); max |logit_batch − logit_single| = \(worst)")
        #expect(worst <= 1e-3)
        #expect(Set(batchIDs).count > 1)  // the sequences really differ
        // unequal lengths are refused with a sentence
        #expect(throws: ModelError.self) {
            try model.forwardBatch([[2, 5], [2]], caches: [model.makeCache(), model.makeCache()])
        }
    }
}
