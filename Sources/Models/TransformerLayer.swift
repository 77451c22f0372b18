import CKernels
import Foundation
import Numerics

extension Transformer {
    /// Layer `l` of one sequence in place on x [T, d] (rows at positions cache.count ..< cache.count + T), writing
    /// into `buffers` — the same block inference runs, for the training forward, which passes `BlockBuffers.kept`
    /// per layer, a fresh F32 cache, its LiSA layers as providers and DS_LoRA's adapters. `cur`/`prev`: this
    /// layer's and layer l−1's planes [H, T, S].
    public func blockForward(
        _ l: Int, x: FloatBuffer, buffers: BlockBuffers, cache: KVCache, cur: AttentionPlanes,
        prev: AttentionPlanes, policy: AttentionPolicy, provider: (any LayerScoreProvider)?,
        adapter: (any LinearAdapter)?, mode: ProductMode
    ) throws {
        try layerForward(
            l, x: x, s: buffers, caches: [cache], p0s: [cache.count], cur: [cur], prev: [prev], policy: policy,
            tap: nil, providers: [provider], adapter: adapter, mode: mode)
    }

    /// One decoder block in place on x: [B·T, d] (B sequences of T rows; sequence b's rows at positions
    /// p0s[b] ..< p0s[b] + T). `cur[b]` receives sequence b's scores/probs [H, T, S_b] (S_b = p0s[b] + T);
    /// `prev[b]` holds its layer l−1's (read by direct sharing and providers). The one definition of a block:
    /// inference, the training forward (`blockForward`) and the op profile (`profile`) all run it.
    func layerForward(
        _ l: Int, x: FloatBuffer, s: BlockBuffers, caches: [KVCache], p0s: [Int],
        cur: [AttentionPlanes], prev: [AttentionPlanes], policy: AttentionPolicy, tap: AttentionTap?,
        providers: [(any LayerScoreProvider)?], adapter: (any LinearAdapter)? = nil,
        mode: ProductMode? = nil, nfPrefill: Bool = false
    ) throws {
        let c = config, w = weights.layers[l], mode = mode ?? productMode
        let B = s.B, T = s.T, R = B * T, d = c.nEmbd, H = c.nHeads, hd = c.headDim, qDim = c.qDim, kvDim = c.kvDim
        func check(_ b: FloatBuffer, _ op: String, _ width: Int) throws {
            if checkFinite {
                try BlockBuffers.checkFinite(b.pointer, count: R * width, layer: l, op: op, rowWidth: width)
            }
        }
        // y [R, n] = x·Wᵀ (+ bias) (+ the adapter's term)
        func linear(
            _ wm: WeightMatrix, _ target: LinearTarget, _ x: FloatBuffer, _ y: FloatBuffer, bias: FloatBuffer?, n: Int
        ) {
            wm.forward(x.pointer, m: R, into: y.pointer, mode: mode)
            if let bias { Kernels.addBias(y.pointer, bias.pointer, rows: R, n: n) }
            adapter?.adapt(layer: l, target: target, x: x.pointer, y: y.pointer, rows: R)
        }
        // a sequence's layer uses its provider's scores unless NF prefill runs it standard
        let scoring = providers.map { nfPrefill ? nil : $0 }
        if let xIn = s.xIn { xIn.pointer.update(from: x.pointer, count: R * d) }

        // --- attention sub-block (linear maps on all R = B·T rows at once) ---
        timed(.norms) { Kernels.rmsNorm(x.pointer, w.attnNorm.pointer, s.h1.pointer, rows: R, n: d, eps: c.rmsEps) }
        try check(s.h1, "attn_norm", d)
        timed(.qkv) { linear(w.wv, .v, s.h1, s.v, bias: w.bv, n: kvDim) }
        try check(s.v, "v", kvDim)

        let needsKeys = policy.needsKeys && scoring.contains { $0 == nil }
        if needsKeys {
            timed(.qkv) {
                linear(w.wq, .q, s.h1, s.q0, bias: w.bq, n: qDim)
                linear(w.wk, .k, s.h1, s.k0, bias: w.bk, n: kvDim)
            }
            timed(.norms) {
                copyIfApart(s.q0, s.q, count: R * qDim)
                copyIfApart(s.k0, s.k, count: R * kvDim)
                // QK-norm: RMSNorm of every head vector over headDim (gemma3).
                if let qn = w.qNorm {
                    Kernels.rmsNorm(s.q.pointer, qn.pointer, s.q.pointer, rows: R * H, n: hd, eps: c.rmsEps)
                }
                if let kn = w.kNorm {
                    Kernels.rmsNorm(s.k.pointer, kn.pointer, s.k.pointer, rows: R * c.nKVHeads, n: hd, eps: c.rmsEps)
                }
                for b in 0..<B {
                    Array(p0s[b]..<(p0s[b] + T)).withUnsafeBufferPointer { pos in
                        ropes[l].apply(
                            s.q.pointer + b * T * qDim, rows: T, heads: H, rowStride: qDim, positions: pos.baseAddress!)
                        ropes[l].apply(
                            s.k.pointer + b * T * kvDim, rows: T, heads: c.nKVHeads, rowStride: kvDim,
                            positions: pos.baseAddress!)
                    }
                }
            }
            try check(s.q, "q", qDim); try check(s.k, "k", kvDim)
        }

        let plainDecoding =
            T == 1 && B > 1 && policy == .standard && tap == nil && !checkFinite
            && providers.allSatisfy { $0 == nil }
        if plainDecoding {
            decodingAttention(l, s: s, caches: caches, p0s: p0s, cur: cur)
        } else {
            try attentionPerSequence(
                l, x: x, s: s, caches: caches, p0s: p0s, cur: cur, prev: prev, policy: policy, tap: tap,
                providers: providers, scoring: scoring)
        }
        timed(.outProj) { linear(w.wo, .o, s.ctx, s.o, bias: nil, n: d) }
        try check(s.o, "attn_output", d)
        if let tap, tap.wantsSubmodules {
            tap.submodules(
                SubmoduleEvent(
                    layer: l, qLen: R, q: s.q.pointer, k: s.k.pointer, v: s.v.pointer,
                    context: s.ctx.pointer, output: s.o.pointer))
        }
        // the sub-block's output, post-normed where the architecture has the norm (gemma3), joins the residual
        func addToResidual(_ out: FloatBuffer, postNorm: FloatBuffer?, normed: FloatBuffer) {
            if let pn = postNorm {
                Kernels.rmsNorm(out.pointer, pn.pointer, normed.pointer, rows: R, n: d, eps: c.rmsEps)
            } else {
                copyIfApart(out, normed, count: R * d)
            }
            Kernels.add(x.pointer, normed.pointer, count: R * d)
        }
        timed(.norms) {
            addToResidual(s.o, postNorm: w.postAttnNorm, normed: s.oNormed)
            if let x2 = s.x2 { x2.pointer.update(from: x.pointer, count: R * d) }
        }

        // --- FFN sub-block: down(act(gate·h) ⊙ up·h) ---
        timed(.norms) { Kernels.rmsNorm(x.pointer, w.ffnNorm.pointer, s.h2.pointer, rows: R, n: d, eps: c.rmsEps) }
        timed(.ffn) {
            linear(w.wGate, .gate, s.h2, s.gate, bias: nil, n: c.nFF)
            linear(w.wUp, .up, s.h2, s.up, bias: nil, n: c.nFF)
            copyIfApart(s.gate, s.act, count: R * c.nFF)
            Kernels.gatedActivation(s.act.pointer, s.up.pointer, count: R * c.nFF, gelu: c.activation == .geluTanh)
        }
        try check(s.act, "ffn_act", c.nFF)
        timed(.ffn) { linear(w.wDown, .down, s.act, s.f, bias: nil, n: d) }
        timed(.norms) { addToResidual(s.f, postNorm: w.postFFNNorm, normed: s.fNormed) }
        try check(x, "l_out", d)
    }

    /// The attention of each sequence on its own cache, policy, provider and tap: scores → mask → softmax → P·V into
    /// s.ctx (a prefill, a decoding step with providers or taps, one sequence).
    func attentionPerSequence(
        _ l: Int, x: FloatBuffer, s: BlockBuffers, caches: [KVCache], p0s: [Int], cur: [AttentionPlanes],
        prev: [AttentionPlanes], policy: AttentionPolicy, tap: AttentionTap?, providers: [(any LayerScoreProvider)?],
        scoring: [(any LayerScoreProvider)?]
    ) throws {
        let c = config, B = s.B, T = s.T, d = c.nEmbd, H = c.nHeads, hd = c.headDim, qDim = c.qDim, kvDim = c.kvDim
        for b in 0..<B {
            let cache = caches[b], provider = scoring[b], mine = cur[b], p0 = p0s[b], S = p0 + T
            let keep = provider == nil && policy.needsKeys
            cache.append(layer: l, k: keep ? s.k.pointer + b * T * kvDim : nil, v: s.v.pointer + b * T * kvDim, rows: T)
            if let provider {
                // scores from the provider, then this layer's own mask and softmax
                timed(.provider) {
                    provider.scores(
                        layer: l, input: s.h1.pointer + b * T * d, T: T, p0: p0, prevScores: prev[b].scores.pointer,
                        S: S, into: mine.scores.pointer)
                }
                timed(.attention) {
                    applyMask(l, mine.scores.pointer, H: H, T: T, S: S, p0: p0, visibleValue: nil)
                    mine.probs.pointer.update(from: mine.scores.pointer, count: H * T * S)
                    Kernels.softmaxRows(mine.probs.pointer, rows: H * T, n: S)
                }
            } else {
                timed(.attention) {
                    computeProbs(
                        l, q: s.q.pointer + b * T * qDim, T: T, S: S, cache: cache, p0: p0, cur: mine, prev: prev[b],
                        policy: policy)
                }
                if let observer = providers[b] {
                    // NF prefill: the provider records its state (LiSA: K_LR of these positions); the standard K
                    // served only this call's scores
                    timed(.provider) { observer.observe(layer: l, input: s.h1.pointer + b * T * d, T: T, p0: p0) }
                    cache.dropKeys(layer: l)
                }
            }
            if checkFinite {
                try BlockBuffers.checkFinite(mine.probs.pointer, count: H * T * S, layer: l, op: "probs", rowWidth: S)
            }
            if let tap {
                tap.attention(
                    AttentionEvent(
                        layer: l, heads: H, qLen: T, qStart: p0, kLen: S,
                        scores: mine.scores.pointer, probs: mine.probs.pointer, policy: policy,
                        fromProvider: provider != nil))
            }
            // context[t, h·hd + j] = Σ_s P[h, t, s] · V[s, g(h)·hd + j]
            let ctx = s.ctx.pointer + b * T * qDim
            timed(.attention) {
                if T == 1 {
                    // a decoding step: one row per head (a BLAS call would cost more than the work), the heads on
                    // the worker threads, an F16 cache read directly
                    let probs = mine.probs.pointer
                    cache.withStoredValues(layer: l) { vs, half in
                        let e = half ? 2 : 4  // bytes per element
                        Parallel.forEach(H) { hh in
                            lk_attn_pv_kv(
                                probs + hh * S, vs + (hh / c.headsPerKV) * hd * e, half ? 1 : 0, Int64(S), Int64(hd),
                                Int64(kvDim), ctx + hh * hd)
                        }
                    }
                } else {
                    cache.withValues(layer: l) { vc in
                        for hh in 0..<H {
                            BLAS.gemmNN(
                                m: T, n: hd, k: S, a: mine.probs.pointer + hh * T * S, lda: S,
                                b: vc + (hh / c.headsPerKV) * hd, ldb: kvDim, c: ctx + hh * hd, ldc: qDim)
                        }
                    }
                }
            }
        }
    }

    /// A decoding step of B sequences with standard attention and nothing observing it: every (sequence, head)
    /// pair's scores, mask, softmax and P·V in one parallel region (per sequence, the heads alone are too little work
    /// to spread). Each pair runs what `attentionPerSequence` runs for it, so the results are the same bits.
    func decodingAttention(_ l: Int, s: BlockBuffers, caches: [KVCache], p0s: [Int], cur: [AttentionPlanes]) {
        let c = config, B = s.B, H = c.nHeads, hd = c.headDim, qDim = c.qDim, kvDim = c.kvDim
        for b in 0..<B { caches[b].append(layer: l, k: s.k.pointer + b * kvDim, v: s.v.pointer + b * kvDim, rows: 1) }
        let q = s.q.pointer, ctx = s.ctx.pointer
        timed(.attention) {
            Parallel.forEach(B * H) { task in
                let b = task / H, hh = task % H, cache = caches[b], p0 = p0s[b], S = p0 + 1, g = hh / c.headsPerKV
                let scores = cur[b].scores.pointer + hh * S, probs = cur[b].probs.pointer + hh * S  // [S] each
                cache.withStoredKeys(layer: l) { ks, half in
                    lk_attn_scores_kv(
                        q + b * qDim + hh * hd, ks + g * hd * (half ? 2 : 4), half ? 1 : 0, Int64(S), Int64(hd),
                        Int64(kvDim), c.queryScale, scores)
                }
                applyMask(l, scores, H: 1, T: 1, S: S, p0: p0, visibleValue: nil)
                probs.update(from: scores, count: S)
                Kernels.softmax(probs, S)
                cache.withStoredValues(layer: l) { vs, half in
                    lk_attn_pv_kv(
                        probs, vs + g * hd * (half ? 2 : 4), half ? 1 : 0, Int64(S), Int64(hd), Int64(kvDim),
                        ctx + b * qDim + hh * hd)
                }
            }
        }
    }

    /// Key positions visible to a query at absolute position qPos (causal, sliding window on local layers).
    @inline(__always)
    func visibleKeys(layer l: Int, qPos: Int) -> Range<Int> {
        if config.isSlidingLayer[l], let w = config.slidingWindow { return max(0, qPos - w + 1)..<(qPos + 1) }
        return 0..<(qPos + 1)
    }

    /// Fills cur.scores (scaled, masked) and cur.probs [H, T, S] according to the layer's policy.
    /// q: [T, nHeads·headDim], this sequence's query rows.
    func computeProbs(
        _ l: Int, q: UnsafePointer<Float>, T: Int, S: Int, cache: KVCache, p0: Int,
        cur: AttentionPlanes, prev: AttentionPlanes, policy: AttentionPolicy
    ) {
        let c = config, H = c.nHeads, hd = c.headDim
        let plane = T * S
        switch policy {
        case .standard:
            // scores_h [T, S] = scale · Q_h [T, hd] · K_g [S, hd]ᵀ
            let scores = cur.scores.pointer
            if T == 1 {  // a decoding step: the heads on the worker threads, an F16 cache read directly
                cache.withStoredKeys(layer: l) { ks, half in
                    let e = half ? 2 : 4  // bytes per element
                    Parallel.forEach(H) { hh in
                        lk_attn_scores_kv(
                            q + hh * hd, ks + (hh / c.headsPerKV) * hd * e, half ? 1 : 0, Int64(S), Int64(hd),
                            Int64(c.kvDim), c.queryScale, scores + hh * plane)
                    }
                }
            } else {
                cache.withKeys(layer: l) { kc in
                    for hh in 0..<H {
                        BLAS.gemmNT(
                            m: T, n: S, k: hd, alpha: c.queryScale, a: q + hh * hd, lda: c.qDim,
                            b: kc + (hh / c.headsPerKV) * hd, ldb: c.kvDim, c: scores + hh * plane, ldc: S)
                    }
                }
            }
            applyMask(l, cur.scores.pointer, H: H, T: T, S: S, p0: p0, visibleValue: nil)
            cur.probs.pointer.update(from: cur.scores.pointer, count: H * plane)
            Kernels.softmaxRows(cur.probs.pointer, rows: H * T, n: S)
        case let .directShare(map):
            for hh in 0..<H {
                let src = map?[hh] ?? hh
                cur.scores.pointer.advanced(by: hh * plane).update(
                    from: prev.scores.pointer + src * plane, count: plane)
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
    func applyMask(
        _ l: Int, _ scores: UnsafeMutablePointer<Float>, H: Int, T: Int, S: Int, p0: Int, visibleValue: Float?
    ) {
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
