import Foundation
import Models
import Numerics

/// Trainable tensors of one LiSA layer (also used, zeroed, as its gradient accumulator).
public final class LiSAParams: @unchecked Sendable {
    public let lowRankQ: FloatBuffer  // W_LR^Q: [h·r, d]
    public let lowRankK: FloatBuffer  // W_LR^K: [h_kv·r, d]
    public let alignFFN: AlignFFN
    public let heads: Int, kvHeads: Int, rank: Int, dim: Int

    public init(heads: Int, kvHeads: Int, rank: Int, dim: Int, ffn: AlignFFNKind, hidden: Int = 256) {
        self.heads = heads; self.kvHeads = kvHeads; self.rank = rank; self.dim = dim
        lowRankQ = FloatBuffer(count: heads * rank * dim)
        lowRankK = FloatBuffer(count: kvHeads * rank * dim)
        alignFFN = AlignFFN(kind: ffn, heads: heads, hidden: hidden)
    }

    public func zeroLike() -> LiSAParams {
        LiSAParams(
            heads: heads, kvHeads: kvHeads, rank: rank, dim: dim, ffn: alignFFN.kind,
            hidden: max(alignFFN.hidden, 2 * heads))
    }

    /// Named tensors (names relative to the layer) and their shapes.
    public var tensors: [(name: String, buffer: FloatBuffer, shape: [Int])] {
        [("wq_lr", lowRankQ, [heads * rank, dim]), ("wk_lr", lowRankK, [kvHeads * rank, dim])] + alignFFN.tensors
    }

    /// W_LR ~ N(0, σ) from `seed`; the FFN as in `AlignFFN.initDSEquivalent`.
    public func initialize(seed: UInt64, sigma: Float = 0.02) {
        var rng = GaussianRNG(seed: seed)
        for i in 0..<lowRankQ.count { lowRankQ[i] = rng.next() * sigma }
        for i in 0..<lowRankK.count { lowRankK[i] = rng.next() * sigma }
        alignFFN.initDSEquivalent(rng: &rng, sigma: sigma)
    }
}

/// The default rank: round(d_k / 6.4) (the paper's 128 → 20; Gemma's 256 → 40), made even for RoPE.
public func defaultLiSARank(headDim: Int) -> Int { max(2, Int((Double(headDim) / 6.4).rounded()) & ~1) }

/// One LiSA layer n (eqs 3–4): A_n = Mask_n(FFN(concat(A_{n−1}, A_Δ))), A_Δ = Q_LR K_LRᵀ/√r.
public final class LiSALayer: @unchecked Sendable {
    public let index: Int
    public let source: Int
    public let heads: Int, kvHeads: Int, rank: Int, dim: Int
    /// Sliding window of layer n's own mask (nil: global causal).
    public let window: Int?
    /// RoPE over the r dims of each low-rank head (NeoX pairing, layer n's base); nil when switched off.
    public let rope: RoPE?
    public let params: LiSAParams

    public init(
        index: Int, source: Int, heads: Int, kvHeads: Int, dim: Int, rank: Int, window: Int?, ropeBase: Float,
        ffn: AlignFFNKind = .dl, hidden: Int = 256, useRoPE: Bool = true
    ) {
        precondition(rank % 2 == 0 || !useRoPE, "RoPE needs an even rank")
        self.index = index; self.source = source
        self.heads = heads; self.kvHeads = kvHeads; self.dim = dim; self.rank = rank; self.window = window
        rope = useRoPE ? RoPE(dims: rank, base: ropeBase, neox: true) : nil
        params = LiSAParams(heads: heads, kvHeads: kvHeads, rank: rank, dim: dim, ffn: ffn, hidden: hidden)
    }

    /// Layer `index` of a model: its heads, GQA grouping, mask type and RoPE base.
    public convenience init(
        index: Int, source: Int, config c: ModelConfig, rank: Int? = nil, ffn: AlignFFNKind = .dl,
        hidden: Int = 256, useRoPE: Bool = true
    ) {
        self.init(
            index: index, source: source, heads: c.nHeads, kvHeads: c.nKVHeads, dim: c.nEmbd,
            rank: rank ?? defaultLiSARank(headDim: c.headDim), window: c.isSlidingLayer[index] ? c.slidingWindow : nil,
            ropeBase: c.ropeBase(layer: index), ffn: ffn, hidden: hidden, useRoPE: useRoPE)
    }

    /// Whether key b is visible to query a under layer n's own mask.
    @inline(__always)
    public func visible(query a: Int, key b: Int) -> Bool {
        b <= a && (window.map { b > a - $0 } ?? true)
    }
}

/// What the forward keeps for the backward (llm.c style: pre-softmax and softmax buffers both kept).
public final class LiSAActs {
    public let T: Int, rows: Int
    public let h: FloatBuffer  // [T, d]      attention input H (a copy)
    public let qLR: FloatBuffer  // [T, h·r]    after RoPE
    public let kLR: FloatBuffer  // [T, h_kv·r] after RoPE
    public let delta: FloatBuffer  // [h, T, T]   A_Δ (all entries, only visible ones used)
    public let index: [Int32]  // [N]         a·T + b of each visible entry
    public let x: FloatBuffer  // [N, 2h]     FFN input concat(A_{n−1}, A_Δ)
    public let y: FloatBuffer  // [N, h]      FFN output
    public let scores: FloatBuffer  // [h, T, T]   A_n, masked with −inf
    public let probs: FloatBuffer  // [h, T, T]   P_n = softmax(A_n)

    public init(layer L: LiSALayer, T: Int) {
        self.T = T
        var idx: [Int32] = []
        for a in 0..<T { for b in 0...a where L.visible(query: a, key: b) { idx.append(Int32(a * T + b)) } }
        index = idx; rows = idx.count
        let hh = L.heads, r = L.rank
        h = FloatBuffer(count: T * L.dim)
        qLR = FloatBuffer(count: T * hh * r); kLR = FloatBuffer(count: T * L.kvHeads * r)
        delta = FloatBuffer(count: hh * T * T)
        x = FloatBuffer(count: rows * 2 * hh); y = FloatBuffer(count: rows * hh)
        scores = FloatBuffer(count: hh * T * T); probs = FloatBuffer(count: hh * T * T)
    }
}

/// Forward of a LiSA layer's scores and probabilities over T positions 0..<T (no cache).
/// input: [T, d] attention input H; prevScores: [h, T, T] A_{n−1} (the front layer's effective scores).
/// A non-finite A_{n−1} at an entry visible to layer n (mask types differ) enters the FFN as −1e4.
public func lisaAttentionForward(
    _ L: LiSALayer, input: UnsafePointer<Float>, prevScores: UnsafePointer<Float>, acts s: LiSAActs
) {
    let T = s.T, d = L.dim, H = L.heads, r = L.rank, qW = H * r, kW = L.kvHeads * r, plane = T * T
    let p = L.params, gsz = H / L.kvHeads
    s.h.pointer.update(from: input, count: T * d)
    BLAS.gemmNT(m: T, n: qW, k: d, a: input, lda: d, b: p.lowRankQ.pointer, ldb: d, c: s.qLR.pointer, ldc: qW)
    BLAS.gemmNT(m: T, n: kW, k: d, a: input, lda: d, b: p.lowRankK.pointer, ldb: d, c: s.kLR.pointer, ldc: kW)
    if let rope = L.rope {
        let pos = Array(0..<T)
        ropeForward(rope, s.qLR.pointer, rows: T, heads: H, positions: pos)
        ropeForward(rope, s.kLR.pointer, rows: T, heads: L.kvHeads, positions: pos)
    }
    // eq 3: A_Δ[i] [T, T] = Q_LR,i · K_LR,g(i)ᵀ / √r
    let inv = 1 / Float(r).squareRoot()
    for i in 0..<H {
        BLAS.gemmNT(
            m: T, n: T, k: r, alpha: inv, a: s.qLR.pointer + i * r, lda: qW,
            b: s.kLR.pointer + (i / gsz) * r, ldb: kW, c: s.delta.pointer + i * plane, ldc: T)
    }
    // gather the visible entries: x[e] = concat(A_{n−1}[:, a, b], A_Δ[:, a, b])
    let x = s.x.pointer
    for (e, ab) in s.index.enumerated() {
        let o = Int(ab)
        for i in 0..<H {
            let v = prevScores[i * plane + o]
            x[e * 2 * H + i] = v.isFinite ? v : -1e4
            x[e * 2 * H + H + i] = s.delta[i * plane + o]
        }
    }
    alignFFNForward(p.alignFFN, x: x, y: s.y.pointer, rows: s.rows)
    // scatter into A_n with layer n's own mask, then P_n = softmax(A_n)
    s.scores.pointer.update(repeating: -.infinity, count: H * plane)
    for (e, ab) in s.index.enumerated() { for i in 0..<H { s.scores[i * plane + Int(ab)] = s.y[e * H + i] } }
    s.probs.pointer.update(from: s.scores.pointer, count: H * plane)
    softmaxForward(s.probs.pointer, rows: H * T, n: T)
}

/// Backward of `lisaAttentionForward`. dScores: [h, T, T] gradient w.r.t. A_n (masked entries ignored).
/// Accumulates into `grads`; writes dPrevScores [h, T, T] (nil: not needed) and dInput [T, d] (nil: not needed).
public func lisaAttentionBackward(
    _ L: LiSALayer, input: UnsafePointer<Float>, prevScores: UnsafePointer<Float>, acts s: LiSAActs,
    dScores: UnsafePointer<Float>, grads g: LiSAParams,
    dPrevScores: UnsafeMutablePointer<Float>?, dInput: UnsafeMutablePointer<Float>?
) {
    let T = s.T, d = L.dim, H = L.heads, r = L.rank, qW = H * r, kW = L.kvHeads * r, plane = T * T
    let p = L.params, gsz = H / L.kvHeads, N = s.rows
    let dy = FloatBuffer(count: N * H)  // [N, h]
    for (e, ab) in s.index.enumerated() { for i in 0..<H { dy[e * H + i] = dScores[i * plane + Int(ab)] } }
    let dx = FloatBuffer(count: N * 2 * H)  // [N, 2h]
    alignFFNBackward(p.alignFFN, x: s.x.pointer, rows: N, dy: dy.pointer, dx: dx.pointer, grads: g.alignFFN)
    let dDelta = FloatBuffer(count: H * plane)  // [h, T, T]
    if let dPrev = dPrevScores { dPrev.update(repeating: 0, count: H * plane) }
    for (e, ab) in s.index.enumerated() {
        let o = Int(ab)
        for i in 0..<H {
            if let dPrev = dPrevScores, prevScores[i * plane + o].isFinite { dPrev[i * plane + o] = dx[e * 2 * H + i] }
            dDelta[i * plane + o] = dx[e * 2 * H + H + i]
        }
    }
    // dQ_i = dΔ_i · K_g / √r ; dK_g += dΔ_iᵀ · Q_i / √r
    let inv = 1 / Float(r).squareRoot()
    let dq = FloatBuffer(count: T * qW), dk = FloatBuffer(count: T * kW)  // [T, h·r], [T, h_kv·r]
    for i in 0..<H {
        let kg = (i / gsz) * r
        BLAS.gemmNN(
            m: T, n: r, k: T, alpha: inv, a: dDelta.pointer + i * plane, lda: T,
            b: s.kLR.pointer + kg, ldb: kW, c: dq.pointer + i * r, ldc: qW)
        BLAS.gemmTN(
            m: T, n: r, k: T, alpha: inv, a: dDelta.pointer + i * plane, lda: T,
            b: s.qLR.pointer + i * r, ldb: qW, beta: 1, c: dk.pointer + kg, ldc: kW)
    }
    if let rope = L.rope {
        let pos = Array(0..<T)
        ropeBackward(rope, dq.pointer, rows: T, heads: H, positions: pos)
        ropeBackward(rope, dk.pointer, rows: T, heads: L.kvHeads, positions: pos)
    }
    // dW[h·r, d] += dQᵀ · H ; dH = dQ · W_Q + dK · W_K
    BLAS.gemmTN(m: qW, n: d, k: T, a: dq.pointer, lda: qW, b: input, ldb: d, beta: 1, c: g.lowRankQ.pointer, ldc: d)
    BLAS.gemmTN(m: kW, n: d, k: T, a: dk.pointer, lda: kW, b: input, ldb: d, beta: 1, c: g.lowRankK.pointer, ldc: d)
    if let dIn = dInput {
        BLAS.gemmNN(m: T, n: d, k: qW, a: dq.pointer, lda: qW, b: p.lowRankQ.pointer, ldb: d, c: dIn, ldc: d)
        BLAS.gemmNN(m: T, n: d, k: kW, a: dk.pointer, lda: kW, b: p.lowRankK.pointer, ldb: d, beta: 1, c: dIn, ldc: d)
    }
    withExtendedLifetime((dy, dx, dDelta, dq, dk)) {}  // keep the scratch alive past its last raw-pointer use
}

/// out[T, d] = Concat_i(P_i · V_g(i)) · W_Oᵀ. probs: [h, T, T]; v: [T, h_kv·hd]; wo: [d, h·hd]; ctx: [T, h·hd].
public func attentionOutputForward(
    probs: UnsafePointer<Float>, v: UnsafePointer<Float>, wo: UnsafePointer<Float>,
    ctx: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>,
    T: Int, heads H: Int, kvHeads: Int, headDim hd: Int, dim d: Int
) {
    let qDim = H * hd, kvDim = kvHeads * hd, g = H / kvHeads
    for i in 0..<H {
        BLAS.gemmNN(
            m: T, n: hd, k: T, a: probs + i * T * T, lda: T, b: v + (i / g) * hd, ldb: kvDim, c: ctx + i * hd, ldc: qDim
        )
    }
    BLAS.gemmNT(m: T, n: d, k: qDim, a: ctx, lda: qDim, b: wo, ldb: qDim, c: out, ldc: d)
}

/// Backward of `attentionOutputForward` (W_O frozen): dOut [T, d] → dProbs [h, T, T], dV [T, h_kv·hd].
public func attentionOutputBackward(
    probs: UnsafePointer<Float>, v: UnsafePointer<Float>, wo: UnsafePointer<Float>,
    dOut: UnsafePointer<Float>, dProbs: UnsafeMutablePointer<Float>, dV: UnsafeMutablePointer<Float>,
    T: Int, heads H: Int, kvHeads: Int, headDim hd: Int, dim d: Int
) {
    let qDim = H * hd, kvDim = kvHeads * hd, g = H / kvHeads
    let dctx = FloatBuffer(count: T * qDim)  // [T, h·hd]
    BLAS.gemmNN(m: T, n: qDim, k: d, a: dOut, lda: d, b: wo, ldb: qDim, c: dctx.pointer, ldc: qDim)
    dV.update(repeating: 0, count: T * kvDim)
    for i in 0..<H {
        // dP_i [T, T] = dctx_i · V_gᵀ ; dV_g += P_iᵀ · dctx_i
        BLAS.gemmNT(
            m: T, n: T, k: hd, a: dctx.pointer + i * hd, lda: qDim, b: v + (i / g) * hd, ldb: kvDim,
            c: dProbs + i * T * T, ldc: T)
        BLAS.gemmTN(
            m: T, n: hd, k: T, a: probs + i * T * T, lda: T, b: dctx.pointer + i * hd, ldb: qDim,
            beta: 1, c: dV + (i / g) * hd, ldc: kvDim)
    }
    withExtendedLifetime(dctx) {}
}
