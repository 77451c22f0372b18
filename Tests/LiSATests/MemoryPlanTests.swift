import Foundation
import LiSA
import Models
import Numerics
import TestSupport
import Testing

/// `MemoryPlan` (weights + per-sequence caches + transients) against measured caches of batched runs and the
/// §5.2 formulas.
@Suite struct MemoryPlanTests {
    /// After a batched run (B = 2, prefill 12 + 3 decoding steps), every sequence's measured cache per layer equals
    /// the plan's (K 0 and K_LR h_kv·r per position on LiSA layers), and baseline − LiSA equals the §5.2 K saving.
    @Test func planMatchesMeasuredBatchCaches() throws {
        let dir = try TestPaths.tempDir("lisa-plan"); defer { try? FileManager.default.removeItem(at: dir) }
        let (model, _) = try RuntimeTests.model("gemma3", dir)
        let c = model.config, lisa = [2, 3, 4], r = 4, B = 2
        let proto = LiSARuntime(
            sharing: SharingConfig(lisaLayers: lisa, nLayers: c.nLayers),
            layers: RuntimeTests.layers(lisa, model: model))
        let plan = MemoryPlan(model: model, lisa: proto), basePlan = MemoryPlan(model: model)
        let prompts = [RuntimeTests.tokens, RuntimeTests.tokens.map { ($0 + 5) % c.vocabSize }]
        let rts = (0..<B).map { _ in proto.replica() }
        let caches = (0..<B).map { _ in model.makeCache() }, baseCaches = (0..<B).map { _ in model.makeCache() }
        _ = try model.forwardBatch(prompts, caches: caches, scoreProviders: rts.map(\.providers))
        _ = try model.forwardBatch(prompts, caches: baseCaches)
        for t in [7, 9, 11] {
            _ = try model.forwardBatch([[t], [t + 1]], caches: caches, scoreProviders: rts.map(\.providers))
            _ = try model.forwardBatch([[t], [t + 1]], caches: baseCaches)
        }
        let S = prompts[0].count + 3
        for b in 0..<B {
            let rep = rts[b].memory(cache: caches[b]), base = MemoryReport(cache: baseCaches[b])
            for L in rep.layers {
                let p = plan.cacheBytes(layer: L.index, positions: S)
                #expect(L.kBytes == p.k && L.lowRankKBytes == p.lowRankK && L.vBytes == p.v, "layer \(L.index)")
                if lisa.contains(L.index) { #expect(L.kBytes == 0 && L.lowRankKBytes == S * c.nKVHeads * r * 4) }
            }
            #expect(rep.totalBytes == plan.cacheBytes(positions: S))
            #expect(base.totalBytes == basePlan.cacheBytes(positions: S))
            #expect(
                base.totalBytes - rep.totalBytes
                    == MemoryReport.kCacheSaving(
                        lisaLayers: 3, kvHeads: c.nKVHeads, headDim: c.headDim, rank: r, length: S))
        }
        // the weights: the GGUF's tensors in Float32 (tied LM head counted once) + the LiSA parameters
        let d = c.nEmbd
        let perLayer =
            2 * d + c.qDim * d + 2 * c.kvDim * d + d * c.qDim + 3 * c.nFF * d
            + (c.hasQKNorm ? 2 * c.headDim : 0) + (c.hasPostNorms ? 2 * d : 0)
        let lisaParams =
            lisa.count * (c.nHeads * r * d + c.nKVHeads * r * d + 32 * 2 * c.nHeads + 32 + c.nHeads * 32 + c.nHeads)
        #expect(basePlan.weightBytes == (c.vocabSize * d + d + c.nLayers * perLayer) * 4)
        #expect(plan.weightBytes == basePlan.weightBytes + lisaParams * 4)
    }

    /// The largest batch is the last B whose total fits; the plan's decode transient holds the §5.2 score rows
    /// (4 planes of h×S per sequence), so one more sequence costs its cache, those rows, its scratch and logits.
    @Test func largestBatchUnderBudget() throws {
        let dir = try TestPaths.tempDir("lisa-plan"); defer { try? FileManager.default.removeItem(at: dir) }
        let (model, _) = try RuntimeTests.model("gemma3", dir)
        let c = model.config
        let plan = MemoryPlan(
            model: model,
            lisa: LiSARuntime(
                sharing: SharingConfig(lisaLayers: [2, 3], nLayers: c.nLayers),
                layers: RuntimeTests.layers([2, 3], model: model)))
        let base = MemoryPlan(model: model)
        let P = 16, G = 48
        for k in [1, 3, 10] {
            let need = plan.totalBytes(batch: k, prompt: P, generated: G)
            #expect(plan.largestBatch(budget: need, prompt: P, generated: G) == k)
            #expect(plan.largestBatch(budget: need - 1, prompt: P, generated: G) == (k == 1 ? nil : k - 1))
        }
        let step =
            plan.decodeTransientBytes(batch: 5, positions: P + G)
            - plan.decodeTransientBytes(batch: 4, positions: P + G)
        let row = 2 * c.nEmbd + 2 * c.qDim + 2 * c.kvDim + 2 * c.nFF
        #expect(step == (row + 4 * c.nHeads * (P + G) + 2 * c.vocabSize) * 4)
        // the same budget holds more LiSA sequences than baseline ones once the caches dominate
        let budget = base.totalBytes(batch: 20, prompt: P, generated: G)
        #expect(plan.largestBatch(budget: budget, prompt: P, generated: G)! > 20)
    }
}
