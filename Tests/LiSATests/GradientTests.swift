import Foundation
import LiSA
import Numerics
import Testing

/// Every hand-written backward against central finite differences (see `gradCheck` for the tolerance).
@Suite struct GradientTests {
    static let tolerance = 1e-2

    /// An FFN with N(0, 0.5²) weights.
    func randomAlignFFN(_ kind: AlignFFNKind, heads h: Int, hidden F: Int, _ rng: inout GaussianRNG) -> AlignFFN {
        let f = AlignFFN(kind: kind, heads: h, hidden: F)
        for t in f.tensors { for i in 0..<t.buffer.count { t.buffer[i] = rng.next() * 0.5 } }
        return f
    }

    @Test(arguments: AlignFFNKind.allCases)
    func alignFFN(kind: AlignFFNKind) {
        var rng = GaussianRNG(seed: 7)
        let h = 3, n = 9, F = 12
        let f = randomAlignFFN(kind, heads: h, hidden: F, &rng)
        let x = randomBuffer(n * 2 * h, &rng), c = randomBuffer(n * h, &rng)
        let y = FloatBuffer(count: n * h)
        func loss() -> Double { alignFFNForward(f, x: x.pointer, y: y.pointer, rows: n); return dot(y, c) }
        _ = loss()
        let g = AlignFFN(kind: kind, heads: h, hidden: F), dx = FloatBuffer(count: n * 2 * h)
        alignFFNBackward(f, x: x.pointer, rows: n, dy: c.pointer, dx: dx.pointer, grads: g)
        #expect(f.tensors.count == g.tensors.count)
        var r = gradCheck(x, dx, loss: loss)
        for (t, gt) in zip(f.tensors, g.tensors) { r = r.merged(gradCheck(t.buffer, gt.buffer, loss: loss)) }
        print("gradcheck alignFFN \(kind.rawValue): max rel err \(r.worst) over \(r.compared) coordinates")
        #expect(r.worst < Self.tolerance)
        // x (54) and every FFN tensor; a few ReLU coordinates may sit at a kink
        let minimum: [AlignFFNKind: Int] = [.dl: 165, .dlSilu: 170, .sl: 72, .plus: 54]
        #expect(r.compared >= minimum[kind]!, "compared only \(r.compared) coordinates (\(r.kinks) at kinks)")
    }

    /// Over many chunks and gradient groups (700 rows: 3 chunks of 256), the chunked DL FFN gives what the whole
    /// product gives (a Double reference computed row by row), and the same bits with 1 thread or 2.
    @Test(arguments: [AlignFFNKind.dl, .dlSilu])
    func alignFFNChunksAgreeWithTheWholeProduct(kind: AlignFFNKind) {
        var rng = GaussianRNG(seed: 11)
        let h = 4, n = 700, F = 16
        let f = randomAlignFFN(kind, heads: h, hidden: F, &rng)
        let x = randomBuffer(n * 2 * h, &rng), dy = randomBuffer(n * h, &rng)
        func run(threads: Int) -> (y: [Float], dx: [Float], grads: [[Float]]) {
            BLAS.setThreads(threads)
            defer { BLAS.setThreads(2) }
            let y = FloatBuffer(count: n * h), dx = FloatBuffer(count: n * 2 * h)
            let g = AlignFFN(kind: kind, heads: h, hidden: F)
            alignFFNForward(f, x: x.pointer, y: y.pointer, rows: n)
            alignFFNBackward(f, x: x.pointer, rows: n, dy: dy.pointer, dx: dx.pointer, grads: g)
            return (y.array, dx.array, g.tensors.map(\.buffer.array))
        }
        let one = run(threads: 1), two = run(threads: 2)
        #expect(one.y == two.y && one.dx == two.dx && one.grads == two.grads)
        // the reference, in Double, one row at a time
        let w1 = f.w1.array, b1 = f.b1.array, w2 = f.w2.array, b2 = f.b2.array
        var dW1 = [Double](repeating: 0, count: F * 2 * h), db1 = [Double](repeating: 0, count: F)
        var dW2 = [Double](repeating: 0, count: h * F), db2 = [Double](repeating: 0, count: h)
        var worst = 0.0
        func check(_ got: Float, _ want: Double) { worst = max(worst, abs(Double(got) - want) / max(1, abs(want))) }
        for r in 0..<n {
            var pre = [Double](repeating: 0, count: F), act = pre
            for j in 0..<F {
                pre[j] = Double(b1[j])
                for i in 0..<(2 * h) { pre[j] += Double(w1[j * 2 * h + i]) * Double(x[r * 2 * h + i]) }
                act[j] = kind == .dl ? max(pre[j], 0) : pre[j] / (1 + exp(-pre[j]))
            }
            var dpre = [Double](repeating: 0, count: F)
            for o in 0..<h {
                var yo = Double(b2[o])
                for j in 0..<F { yo += Double(w2[o * F + j]) * act[j] }
                check(one.y[r * h + o], yo)
                let d = Double(dy[r * h + o])
                db2[o] += d
                for j in 0..<F { dW2[o * F + j] += d * act[j]; dpre[j] += d * Double(w2[o * F + j]) }
            }
            for j in 0..<F {
                let s = 1 / (1 + exp(-pre[j]))
                dpre[j] *= kind == .dl ? (pre[j] > 0 ? 1 : 0) : s * (1 + pre[j] * (1 - s))
                db1[j] += dpre[j]
                for i in 0..<(2 * h) { dW1[j * 2 * h + i] += dpre[j] * Double(x[r * 2 * h + i]) }
            }
            for i in 0..<(2 * h) {
                var v = 0.0
                for j in 0..<F { v += dpre[j] * Double(w1[j * 2 * h + i]) }
                check(one.dx[r * 2 * h + i], v)
            }
        }
        for (got, want) in zip(one.grads, [dW1, db1, dW2, db2]) { for (a, b) in zip(got, want) { check(a, b) } }
        print("alignFFN \(kind.rawValue), \(n) rows in chunks: max rel err \(worst) against the Double reference")
        #expect(worst < 1e-4)
    }

    @Test func softmax() {
        var rng = GaussianRNG(seed: 3)
        let rows = 4, n = 7
        let x = randomBuffer(rows * n, &rng), c = randomBuffer(rows * n, &rng)
        x[3] = -.infinity  // a masked entry
        let p = FloatBuffer(count: rows * n)
        func loss() -> Double {
            p.pointer.update(from: x.pointer, count: x.count); softmaxForward(p.pointer, rows: rows, n: n);
            return dot(p, c)
        }
        _ = loss()
        let dx = FloatBuffer(count: rows * n)
        softmaxBackward(p.pointer, dp: c.pointer, dx: dx.pointer, rows: rows, n: n)
        let r = gradCheck(x, dx, skip: { !x[$0].isFinite }, loss: loss)
        print("gradcheck softmax: max rel err \(r.worst) over \(r.compared) coordinates")
        #expect(r.worst < Self.tolerance)
        #expect(r.skipped == 1 && r.compared >= 27, "compared \(r.compared), skipped \(r.skipped), kinks \(r.kinks)")
        #expect(dx[3] == 0)
    }

    @Test func huber() {
        var rng = GaussianRNG(seed: 4)
        let n = 50
        let a = randomBuffer(n, &rng, scale: 2), b = randomBuffer(n, &rng, scale: 2)
        func loss() -> Double { huberForward(a.pointer, b.pointer, count: n, delta: 1).sum }
        let da = FloatBuffer(count: n)
        huberBackward(a.pointer, b.pointer, count: n, delta: 1, scale: 1, da: da.pointer)
        let r = gradCheck(a, da, samples: 50, loss: loss)
        print("gradcheck huber: max rel err \(r.worst) over \(r.compared) coordinates")
        #expect(r.worst < Self.tolerance)
        #expect(r.compared >= 47, "compared only \(r.compared) of \(n) coordinates (\(r.kinks) at kinks)")
        // eq 8 values: ½e² inside δ, δ(|e| − ½δ) outside.
        let v = huberForward([0.5, 3], [0, 0], count: 2, delta: 1)
        #expect(v.sum == 0.125 + 2.5 && v.count == 2)
    }

    @Test func rope() {
        var rng = GaussianRNG(seed: 5)
        let rows = 5, heads = 2, dims = 6
        let r = RoPE(dims: dims, base: 10000, neox: true)
        let x = randomBuffer(rows * heads * dims, &rng), c = randomBuffer(rows * heads * dims, &rng)
        let y = FloatBuffer(count: x.count), pos = Array(0..<rows).map { $0 * 3 }
        func loss() -> Double {
            y.pointer.update(from: x.pointer, count: x.count);
            ropeForward(r, y.pointer, rows: rows, heads: heads, positions: pos); return dot(y, c)
        }
        let dx = FloatBuffer(c.array)
        ropeBackward(r, dx.pointer, rows: rows, heads: heads, positions: pos)
        let check = gradCheck(x, dx, loss: loss)
        print("gradcheck rope: max rel err \(check.worst) over \(check.compared) coordinates")
        #expect(check.worst < Self.tolerance)
        #expect(check.compared >= 60, "compared only \(check.compared) coordinates (\(check.kinks) at kinks)")
    }

    /// The whole LiSA attention (low-rank Q/K, RoPE, FFN, mask, softmax) with a loss on the probabilities
    /// and, separately, a Huber loss on the scores: gradients of W_LR^Q, W_LR^K, the FFN, A_{n−1} and H.
    @Test(arguments: [
        (AlignFFNKind.dl, true, Optional(4)), (.dlSilu, true, nil), (.sl, false, Optional(3)), (.plus, true, nil),
    ])
    func lisaAttention(kind: AlignFFNKind, useRoPE: Bool, window: Int?) {
        var rng = GaussianRNG(seed: 11)
        let T = 6, h = 4, hkv = 2, d = 10, r = 4
        let L = LiSALayer(
            index: 2, source: 1, heads: h, kvHeads: hkv, dim: d, rank: r, window: window, ropeBase: 10000,
            ffn: kind, hidden: 12, useRoPE: useRoPE)
        for t in L.params.tensors { for i in 0..<t.buffer.count { t.buffer[i] = rng.next() * 0.4 } }
        if kind == .dl {
            // Keep ReLU pre-activations away from their kink (units mostly on or mostly off, both kinds present):
            // a finite difference across a kink is not a derivative.
            let b1 = L.params.alignFFN.b1
            for u in 0..<b1.count { b1[u] = u % 2 == 0 ? 4 : -4 }
        }
        let input = randomBuffer(T * d, &rng), prev = randomBuffer(h * T * T, &rng, scale: 2)
        for i in 0..<h {
            for a in 0..<T { for b in (a + 1)..<max(T, a + 1) { prev[(i * T + a) * T + b] = -.infinity } }
        }
        let c = randomBuffer(h * T * T, &rng), target = randomBuffer(h * T * T, &rng, scale: 2)
        let acts = LiSAActs(layer: L, T: T)
        for onProbs in [true, false] {
            func loss() -> Double {
                lisaAttentionForward(L, input: input.pointer, prevScores: prev.pointer, acts: acts)
                return onProbs
                    ? dot(acts.probs, c) : huberForward(acts.scores.pointer, target.pointer, count: h * T * T).sum
            }
            _ = loss()
            let dScores = FloatBuffer(count: h * T * T)
            if onProbs {
                softmaxBackward(acts.probs.pointer, dp: c.pointer, dx: dScores.pointer, rows: h * T, n: T)
            } else {
                huberBackward(acts.scores.pointer, target.pointer, count: h * T * T, scale: 1, da: dScores.pointer)
            }
            let g = L.params.zeroLike(), dPrev = FloatBuffer(count: h * T * T), dIn = FloatBuffer(count: T * d)
            lisaAttentionBackward(
                L, input: input.pointer, prevScores: prev.pointer, acts: acts, dScores: dScores.pointer,
                grads: g, dPrevScores: dPrev.pointer, dInput: dIn.pointer)
            withExtendedLifetime(dScores) {}
            let eps: Float = 1e-2
            var errs = [
                ("H", gradCheck(input, dIn, eps: eps, loss: loss)),
                ("A_prev", gradCheck(prev, dPrev, eps: eps, samples: 80, skip: { !prev[$0].isFinite }, loss: loss)),
            ]
            #expect(L.params.tensors.count == g.tensors.count)
            for (t, gt) in zip(L.params.tensors, g.tensors) {
                errs.append((t.name, gradCheck(t.buffer, gt.buffer, eps: eps, loss: loss)))
            }
            let worst = errs.map(\.1.worst).max()!
            print(
                "  per tensor: "
                    + errs.map { "\($0.0) \(String(format: "%.1e", $0.1.worst)) (\($0.1.compared))" }
                    .joined(separator: ", "))
            // Every tensor is checked on some coordinates, and all of them together on nearly all sampled ones
            // (H 60, A_prev 84, W_LR^Q and W_LR^K 40 each, then the FFN's tensors).
            for (name, r) in errs { #expect(r.compared > 0, "\(name): no coordinate compared (\(r.kinks) at kinks)") }
            let minimum: [AlignFFNKind: Int] = [.dl: 320, .dlSilu: 320, .sl: 250, .plus: 220]
            let compared = errs.map(\.1.compared).reduce(0, +)
            #expect(compared >= minimum[kind]!, "compared only \(compared) coordinates")
            print(
                "gradcheck lisaAttention \(kind.rawValue) rope=\(useRoPE) "
                    + "window=\(window.map(String.init) ?? "none") loss=\(onProbs ? "probs" : "huber"): max rel err "
                    + "\(worst)"
            )
            // End to end, the Huber loss's second derivative jumps at |e| = δ (an O(ε) error in the quotient): 2e-2.
            #expect(worst < 2e-2)
        }
    }

    @Test func attentionOutput() {
        var rng = GaussianRNG(seed: 13)
        let T = 5, h = 4, hkv = 2, hd = 3, d = 7
        let probs = randomBuffer(h * T * T, &rng), v = randomBuffer(T * hkv * hd, &rng),
            wo = randomBuffer(d * h * hd, &rng)
        let c = randomBuffer(T * d, &rng)
        let ctx = FloatBuffer(count: T * h * hd), out = FloatBuffer(count: T * d)
        func loss() -> Double {
            attentionOutputForward(
                probs: probs.pointer, v: v.pointer, wo: wo.pointer, ctx: ctx.pointer, out: out.pointer,
                T: T, heads: h, kvHeads: hkv, headDim: hd, dim: d)
            return dot(out, c)
        }
        _ = loss()
        let dP = FloatBuffer(count: h * T * T), dV = FloatBuffer(count: T * hkv * hd)
        attentionOutputBackward(
            probs: probs.pointer, v: v.pointer, wo: wo.pointer, dOut: c.pointer, dProbs: dP.pointer, dV: dV.pointer,
            T: T, heads: h, kvHeads: hkv, headDim: hd, dim: d)
        let r = gradCheck(probs, dP, loss: loss).merged(gradCheck(v, dV, loss: loss))
        print("gradcheck attentionOutput: max rel err \(r.worst) over \(r.compared) coordinates")
        #expect(r.worst < Self.tolerance)
        #expect(r.compared >= 80, "compared only \(r.compared) coordinates (\(r.kinks) at kinks)")
    }
}
