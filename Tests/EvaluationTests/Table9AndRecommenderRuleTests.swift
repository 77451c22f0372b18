import Evaluation
import Foundation
import Models
import Testing
import TestSupport

// Table 9's loss and levels (FIGURES.md C9, Table 9) and the recommender's JSD rule, layer string and
// Table 1 entry, on hand-computed cases.

@Suite struct Table9Tests {
    @Test func lossIsHundredTimesRelativeDrop() throws {
        #expect(performanceLoss(base: 0.5, score: 0.25) == 50)
        #expect(abs(try #require(performanceLoss(base: 0.8, score: 0.5)) - 37.5) < 1e-12)
        // DS better: negative loss
        #expect(performanceLoss(base: 0.4, score: 0.5).map { abs($0 + 25) < 1e-12 } == true)
        #expect(performanceLoss(base: 0, score: 0.1) == nil)  // undefined, not a crash
        #expect(performanceLoss(base: 20, score: 30, lowerIsBetter: true) == 50)  // perplexity rises 50 %
    }

    @Test func levelsUseTheStatedBoundaries() {
        // low < 40 ≤ moderate < 70 ≤ high; negative counts as low.
        #expect(LossLevel(loss: -12) == .low)
        #expect(LossLevel(loss: 0) == .low)
        #expect(LossLevel(loss: 39.999) == .low)
        #expect(LossLevel(loss: 40) == .moderate)
        #expect(LossLevel(loss: 69.999) == .moderate)
        #expect(LossLevel(loss: 70) == .high)
        #expect(LossLevel(loss: 100) == .high)
    }
}

@Suite struct RecommenderRuleTests {
    /// 18 layers, baseline 0.6, every pair fully robust (DS = baseline).
    func flatSweep() -> SensitivityResult {
        let pairs = LayerPair.sweep(nLayers: 18).map {
            PairScore(pair: $0, ds: 0.6, dsStandardError: 0, uniform: 0.5, uniformStandardError: 0)
        }
        return SensitivityResult(
            task: "piqa", metric: "acc_norm", shots: 0, n: 30, seed: 1, nLayers: 18, baseline: 0.6,
            baselineStandardError: 0, pairs: pairs, seconds: 0)
    }
    let flat = Array(repeating: false, count: 18)

    @Test func jsdRuleExcludesALayerThatDiffersFromItsFrontLayer() throws {
        // Layer 14's S1 JSD to layer 13 is 0.15 > 0.1; every other adjacent pair 0.02.
        var adjacent = Array(repeating: 0.02, count: 17)
        adjacent[13] = 0.15  // pair (13, 14)
        let jsd = Recommender.jsdToFront(adjacent: adjacent)
        #expect(jsd.count == 18 && jsd[14] == 0.15 && jsd[13] == 0.02)
        let without = Recommender(target: 4).recommend(flatSweep(), isSliding: flat, modelSHA256: "x", arch: "llama")
        #expect(without.shared.map(\.index) == [13, 14, 15, 16])
        let c = Recommender(target: 4, jsdToFront: jsd).recommend(
            flatSweep(), isSliding: flat, modelSHA256: "x", arch: "llama")
        // The run from the top stops at 14 (16, 15); the rhythm below it: 14 gap (excluded anyway), 13 and 12 shared.
        #expect(c.shared.map(\.index) == [12, 13, 15, 16])
        #expect(c.layers[14].mode == .standard)
        #expect(c.layers[14].reason == "excluded: S1 JSD to layer 13 is 0.150 > 0.10 nats (rule 1)")
        // Hand-checked: standard layers are their own source, shared ones chain to the last standard layer before.
        #expect(c.layerString == "0,1,2,3,4,5,6,7,8,9,10,11,11,11,14,14,14,17")
        #expect(c.table1Entry == "DS (4): 13, 14, 16, 17 (22.22 %)")
        // At the threshold itself the layer stays (exceeds = strictly greater).
        adjacent[13] = 0.1
        let atThreshold = Recommender(target: 4, jsdToFront: Recommender.jsdToFront(adjacent: adjacent))
            .recommend(flatSweep(), isSliding: flat, modelSHA256: "x", arch: "llama")
        #expect(atThreshold.shared.map(\.index) == [13, 14, 15, 16])
    }

    @Test func tableOneTargetsGiveValidConfigsThatLoadBack() throws {
        #expect([0.53, 0.65, 0.84].map { Recommender.layers(forFraction: $0, nLayers: 18) } == [10, 12, 15])
        #expect([0.53, 0.65, 0.84].map { Recommender.layers(forFraction: $0, nLayers: 28) } == [15, 18, 24])
        let dir = try TestPaths.tempDir("table1")
        for (f, n) in [(0.53, 10), (0.65, 12), (0.84, 15)] {
            let c = Recommender(target: Recommender.layers(forFraction: f, nLayers: 18))
                .recommend(flatSweep(), isSliding: flat, modelSHA256: "00", arch: "llama")
            let p = dir.appendingPathComponent("t\(n).json").path
            try c.write(to: p)
            let back = try SharingConfig.load(path: p)
            #expect(back == c)
            #expect(back.shared.count == n)
            // First two and last layer are never shared (rule 1).
            #expect(!back.shared.contains { [0, 1, 17].contains($0.index) })
        }
        // 15 of 18 = layers 2 … 16 (0-based), one run: 1-based 3–17.
        let c15 = Recommender(target: 15).recommend(flatSweep(), isSliding: flat, modelSHA256: "00", arch: "llama")
        #expect(c15.table1Entry == "DS (15): 3–17 (83.33 %)")
        #expect(c15.layerString == "0,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,17")
    }
}
