import Foundation
import Numerics

extension Transformer {
    /// One decoder block in place on x: [T, d]. `cur` receives this layer's scores/probs [H, T, S];
    /// `prev` holds layer l−1's (read by direct sharing).
    func layerForward(_ l: Int, x: FloatBuffer, s: Scratch, cache: KVCache, positions: [Int], p0: Int,
                      cur: (scores: FloatBuffer, probs: FloatBuffer), prev: (scores: FloatBuffer, probs: FloatBuffer),
                      policy: AttentionPolicy, tap: AttentionTap?, provider: (any LayerScoreProvider)? = nil) throws {
        let c = config, w = weights.layers[l]
        let T = s.T, S = s.S, d = c.nEmbd, H = c.nHeads, hd = c.headDim, qDim = c.qDim, kvDim = c.kvDim
        func check(_ b: FloatBuffer, _ op: String, _ width: Int) throws {
            if checkFinite { try Scratch.checkFinite(b.pointer, count: T * width, layer: l, op: op, rowWidth: width) }
        }

        // --- attention sub-block ---
        Kernels.rmsNorm(x.pointer, w.attnNorm.pointer, s.h.pointer, rows: T, n: d, eps: c.rmsEps)
        try check(s.h, "attn_norm", d)
        BLAS.gemmNT(m: T, n: kvDim, k: d, a: s.h.pointer, lda: d, b: w.wv.pointer, ldb: d, c: s.v.pointer, ldc: kvDim)
        if let b = w.bv { Kernels.addBias(s.v.pointer, b.pointer, rows: T, n: kvDim) }
        try check(s.v, "v", kvDim)

        if provider == nil, policy.needsKeys {
            BLAS.gemmNT(m: T, n: qDim, k: d, a: s.h.pointer, lda: d, b: w.wq.pointer, ldb: d, c: s.q.pointer, ldc: qDim)
            BLAS.gemmNT(m: T, n: kvDim, k: d, a: s.h.pointer, lda: d, b: w.wk.pointer, ldb: d, c: s.k.pointer, ldc: kvDim)
            if let b = w.bq { Kernels.addBias(s.q.pointer, b.pointer, rows: T, n: qDim) }
            if let b = w.bk { Kernels.addBias(s.k.pointer, b.pointer, rows: T, n: kvDim) }
            // QK-norm: RMSNorm of every head vector over headDim (gemma3).
            if let qn = w.qNorm { Kernels.rmsNorm(s.q.pointer, qn.pointer, s.q.pointer, rows: T * H, n: hd, eps: c.rmsEps) }
            if let kn = w.kNorm { Kernels.rmsNorm(s.k.pointer, kn.pointer, s.k.pointer, rows: T * c.nKVHeads, n: hd, eps: c.rmsEps) }
            positions.withUnsafeBufferPointer { pos in
                ropes[l].apply(s.q.pointer, rows: T, heads: H, rowStride: qDim, positions: pos.baseAddress!)
                ropes[l].apply(s.k.pointer, rows: T, heads: c.nKVHeads, rowStride: kvDim, positions: pos.baseAddress!)
            }
            try check(s.q, "q", qDim); try check(s.k, "k", kvDim)
            cache.append(layer: l, k: s.k.pointer, v: s.v.pointer, rows: T)
        } else {
            cache.append(layer: l, k: nil, v: s.v.pointer, rows: T)
        }

        if let provider {
            // scores from the provider, then this layer's own mask and softmax
            provider.scores(layer: l, input: s.h.pointer, T: T, p0: p0, prevScores: prev.scores.pointer, S: S,
                            into: cur.scores.pointer)
            applyMask(l, cur.scores.pointer, H: H, T: T, S: S, p0: p0, visibleValue: nil)
            cur.probs.pointer.update(from: cur.scores.pointer, count: H * T * S)
            Kernels.softmaxRows(cur.probs.pointer, rows: H * T, n: S)
        } else {
            computeProbs(l, s: s, cache: cache, p0: p0, cur: cur, prev: prev, policy: policy)
        }
        if checkFinite { try Scratch.checkFinite(cur.probs.pointer, count: H * T * S, layer: l, op: "probs", rowWidth: S) }
        if let tap {
            tap.attention(AttentionEvent(layer: l, heads: H, qLen: T, qStart: p0, kLen: S,
                                         scores: cur.scores.pointer, probs: cur.probs.pointer, policy: policy,
                                         fromProvider: provider != nil))
        }

        // context[t, h·hd + j] = Σ_s P[h, t, s] · V[s, g(h)·hd + j]
        cache.values[l].withUnsafeBufferPointer { vc in
            for hh in 0..<H {
                let g = hh / c.headsPerKV
                BLAS.gemmNN(m: T, n: hd, k: S, a: cur.probs.pointer + hh * T * S, lda: S,
                            b: vc.baseAddress! + g * hd, ldb: kvDim, c: s.ctx.pointer + hh * hd, ldc: qDim)
            }
        }
        BLAS.gemmNT(m: T, n: d, k: qDim, a: s.ctx.pointer, lda: qDim, b: w.wo.pointer, ldb: qDim, c: s.o.pointer, ldc: d)
        try check(s.o, "attn_output", d)
        if let tap, tap.wantsSubmodules {
            tap.submodules(SubmoduleEvent(layer: l, qLen: T, q: s.q.pointer, k: s.k.pointer, v: s.v.pointer,
                                          context: s.ctx.pointer, output: s.o.pointer))
        }
        if let pn = w.postAttnNorm { Kernels.rmsNorm(s.o.pointer, pn.pointer, s.o.pointer, rows: T, n: d, eps: c.rmsEps) }
        Kernels.add(x.pointer, s.o.pointer, count: T * d)

        // --- FFN sub-block: down(act(gate·h) ⊙ up·h) ---
        Kernels.rmsNorm(x.pointer, w.ffnNorm.pointer, s.h.pointer, rows: T, n: d, eps: c.rmsEps)
        BLAS.gemmNT(m: T, n: c.nFF, k: d, a: s.h.pointer, lda: d, b: w.wGate.pointer, ldb: d, c: s.gate.pointer, ldc: c.nFF)
        BLAS.gemmNT(m: T, n: c.nFF, k: d, a: s.h.pointer, lda: d, b: w.wUp.pointer, ldb: d, c: s.up.pointer, ldc: c.nFF)
        Kernels.gatedActivation(s.gate.pointer, s.up.pointer, count: T * c.nFF, gelu: c.activation == .geluTanh)
        try check(s.gate, "ffn_act", c.nFF)
        BLAS.gemmNT(m: T, n: d, k: c.nFF, a: s.gate.pointer, lda: c.nFF, b: w.wDown.pointer, ldb: c.nFF, c: s.o.pointer, ldc: d)
        if let pn = w.postFFNNorm { Kernels.rmsNorm(s.o.pointer, pn.pointer, s.o.pointer, rows: T, n: d, eps: c.rmsEps) }
        Kernels.add(x.pointer, s.o.pointer, count: T * d)
        try check(x, "l_out", d)
    }

    /// Key positions visible to a query at absolute position qPos (causal, sliding window on local layers).
    @inline(__always)
    func visibleKeys(layer l: Int, qPos: Int) -> Range<Int> {
        if config.isSlidingLayer[l], let w = config.slidingWindow { return max(0, qPos - w + 1)..<(qPos + 1) }
        return 0..<(qPos + 1)
    }

    /// Fills cur.scores (scaled, masked) and cur.probs [H, T, S] according to the layer's policy.
    func computeProbs(_ l: Int, s: Scratch, cache: KVCache, p0: Int,
                      cur: (scores: FloatBuffer, probs: FloatBuffer), prev: (scores: FloatBuffer, probs: FloatBuffer),
                      policy: AttentionPolicy) {
        let c = config, T = s.T, S = s.S, H = c.nHeads, hd = c.headDim
        let plane = T * S
        switch policy {
        case .standard:
            cache.keys[l].withUnsafeBufferPointer { kc in
                for hh in 0..<H {
                    let g = hh / c.headsPerKV
                    // scores_h [T, S] = scale · Q_h [T, hd] · K_g [S, hd]ᵀ
                    BLAS.gemmNT(m: T, n: S, k: hd, alpha: c.queryScale, a: s.q.pointer + hh * hd, lda: c.qDim,
                                b: kc.baseAddress! + g * hd, ldb: c.kvDim, c: cur.scores.pointer + hh * plane, ldc: S)
                }
            }
            applyMask(l, cur.scores.pointer, H: H, T: T, S: S, p0: p0, visibleValue: nil)
            cur.probs.pointer.update(from: cur.scores.pointer, count: H * plane)
            Kernels.softmaxRows(cur.probs.pointer, rows: H * T, n: S)
        case let .directShare(map):
            for hh in 0..<H {
                let src = map?[hh] ?? hh
                cur.scores.pointer.advanced(by: hh * plane).update(from: prev.scores.pointer + src * plane, count: plane)
                cur.probs.pointer.advanced(by: hh * plane).update(from: prev.probs.pointer + src * plane, count: plane)
            }
        case .uniform:
            applyMask(l, cur.scores.pointer, H: H, T: T, S: S, p0: p0, visibleValue: 0)
            for r in 0..<(H * T) {
                let qPos = p0 + r % T
                let vis = visibleKeys(layer: l, qPos: qPos)
                let row = cur.probs.pointer + r * S
                row.update(repeating: 0, count: S)
                let p = 1 / Float(vis.count)
                for k in vis { row[k] = p }
            }
        }
    }

    /// Sets masked entries of scores [H, T, S] to -inf (and visible ones to `visibleValue` when given).
    func applyMask(_ l: Int, _ scores: UnsafeMutablePointer<Float>, H: Int, T: Int, S: Int, p0: Int, visibleValue: Float?) {
        for hh in 0..<H {
            for i in 0..<T {
                let row = scores + (hh * T + i) * S
                let vis = visibleKeys(layer: l, qPos: p0 + i)
                for k in 0..<vis.lowerBound { row[k] = -.infinity }
                if vis.upperBound < S { for k in vis.upperBound..<S { row[k] = -.infinity } }
                if let v = visibleValue { for k in vis { row[k] = v } }
            }
        }
    }
}
