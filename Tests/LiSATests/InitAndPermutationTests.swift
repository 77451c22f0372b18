import Foundation
import GGUF
import LiSA
import Models
import Numerics
import TestSupport
import Testing

/// Fig 8 (an FFN with a permutation weight realigns heads) and the DS-equivalent initialisation.
@Suite struct InitAndPermutationTests {
    /// π as a list: head i of A_{n−1} goes to head perm[i] of A_n.
    static func permutation(_ h: Int) -> [Int] {
        var rng = SeededRandom(seed: UInt64(h))
        var p = Array(0..<h); p.shuffle(using: &rng)
        if h == 3 { p = [2, 1, 0] }  // the paper's example: 1→3, 2→2, 3→1
        return p
    }

    @Test(arguments: [3, 4, 12])
    func slFFNWithPermutationWeightPermutesHeads(h: Int) {
        let perm = Self.permutation(h)
        let f = AlignFFN(kind: .sl, heads: h)
        for i in 0..<h { f.w1[perm[i] * 2 * h + i] = 1 }  // W = [P_π | 0], b = 0
        var rng = GaussianRNG(seed: 1)
        let n = 50
        let x = randomBuffer(n * 2 * h, &rng, scale: 5), y = FloatBuffer(count: n * h)
        alignFFNForward(f, x: x.pointer, y: y.pointer, rows: n)
        var exact = true
        for r in 0..<n { for i in 0..<h where y[r * h + perm[i]] != x[r * 2 * h + i] { exact = false } }
        #expect(exact, "A_n[π(i)] must equal A_{n−1}[i] exactly (h = \(h), π = \(perm))")

        // The same through a whole LiSA layer: the scores of head π(i) are A_{n−1}[i] on every visible entry.
        let T = 9
        let L = LiSALayer(
            index: 1, source: 0, heads: h, kvHeads: 1, dim: 8, rank: 4, window: nil, ropeBase: 10000, ffn: .sl)
        L.params.initialize(seed: 3)
        L.params.alignFFN.w1.zero()
        for i in 0..<h { L.params.alignFFN.w1[perm[i] * 2 * h + i] = 1 }
        let input = randomBuffer(T * 8, &rng), prev = randomBuffer(h * T * T, &rng, scale: 3)
        let acts = LiSAActs(layer: L, T: T)
        lisaAttentionForward(L, input: input.pointer, prevScores: prev.pointer, acts: acts)
        var layerExact = true
        for i in 0..<h {
            for a in 0..<T {
                for b in 0...a where acts.scores[(perm[i] * T + a) * T + b] != prev[(i * T + a) * T + b] {
                    layerExact = false
                }
            }
        }
        #expect(layerExact)
    }

    /// At init the LiSA layer's probabilities equal DS's (layer n−1's, aligned heads) on a tiny gemma3.
    @Test(arguments: [AlignFFNKind.dl, .dlSilu, .sl])
    func initEqualsDirectSharing(kind: AlignFFNKind) throws {
        let dir = try TestPaths.tempDir("lisa-init"); defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("gemma3.gguf").path
        try TinyModel(arch: "gemma3").write(to: path)
        let model = try Transformer(gguf: GGUFFile(path: path))
        let tokens = [1, 260, 45, 77, 261, 299, 12, 3, 262, 263, 99, 150]  // 12 > window 8
        for n in [2, 3, 4] {  // sliding layers whose front layer is sliding too
            let L = LiSALayer(index: n, source: n - 1, config: model.config, ffn: kind)
            L.params.initialize(seed: 42)
            let teacher = try TeacherCapture.run(model, tokens: tokens, layers: [L])
            let acts = LiSAActs(layer: L, T: tokens.count)
            let input = teacher.attentionInput(layer: n, model: model), prev = teacher.scores[n - 1]!
            withExtendedLifetime((input, prev)) {
                lisaAttentionForward(L, input: input.pointer, prevScores: prev.pointer, acts: acts)
            }
            final class ProbsTap: AttentionTap {
                let layer: Int; var probs: [Float] = []
                init(_ l: Int) { layer = l }
                func attention(_ e: AttentionEvent) {
                    if e.layer == layer {
                        probs = Array(UnsafeBufferPointer(start: e.probs, count: e.heads * e.qLen * e.kLen))
                    }
                }
            }
            let tap = ProbsTap(n)
            _ = try model.forward(
                tokens, cache: model.makeCache(), logits: .none,
                policies: AttentionPolicies([n: .directShare(headMap: nil)]), tap: tap)
            var worst: Float = 0
            for i in 0..<tap.probs.count {
                let e = abs(tap.probs[i] - acts.probs[i])
                worst = max(worst, e)
            }
            print("init \(kind.rawValue) layer \(n): max |P_LiSA − P_DS| = \(worst)")
            #expect(worst <= 1e-6)
        }
    }
}
