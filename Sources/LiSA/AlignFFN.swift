import Foundation
import Numerics

/// The alignment FFN of eq 4 ("Integrate"), applied over the head axis of every visible (query, key):
/// x = concat(A_{n−1}[:, a, b], A_Δ[:, a, b]) ∈ ℝ^{2h} → A_n[:, a, b] ∈ ℝ^h.
public enum AlignFFNKind: String, Codable, Sendable, CaseIterable {
    /// DL: 2h → F → h with ReLU (the paper's default; F = 256).
    case dl
    /// DL with SiLU in place of ReLU.
    case dlSilu = "dl-silu"
    /// SL: 2h → h, one linear layer.
    case sl
    /// A_{n−1} + A_Δ, no parameters.
    case plus
}

/// Weights of one alignment FFN, stored [out, in] like nn.Linear. `plus` has none.
public final class AlignFFN: @unchecked Sendable {
    public let kind: AlignFFNKind
    public let heads: Int  // h
    public let hidden: Int  // F (DL kinds), else 0
    public let w1: FloatBuffer  // DL: [F, 2h]; SL: [h, 2h]; plus: [0]
    public let b1: FloatBuffer  // DL: [F];     SL: [h];     plus: [0]
    public let w2: FloatBuffer  // DL: [h, F];  else [0]
    public let b2: FloatBuffer  // DL: [h];     else [0]

    public init(kind: AlignFFNKind, heads h: Int, hidden F: Int = 256) {
        self.kind = kind; heads = h
        switch kind {
        case .dl, .dlSilu:
            precondition(F >= 2 * h, "the DS-equivalent init needs F ≥ 2h")
            hidden = F
            w1 = FloatBuffer(count: F * 2 * h); b1 = FloatBuffer(count: F)
            w2 = FloatBuffer(count: h * F); b2 = FloatBuffer(count: h)
        case .sl:
            hidden = 0
            w1 = FloatBuffer(count: h * 2 * h); b1 = FloatBuffer(count: h)
            w2 = FloatBuffer(count: 0); b2 = FloatBuffer(count: 0)
        case .plus:
            hidden = 0
            w1 = FloatBuffer(count: 0); b1 = FloatBuffer(count: 0)
            w2 = FloatBuffer(count: 0); b2 = FloatBuffer(count: 0)
        }
    }

    /// The trainable tensors with their names (suffixes) and shapes.
    public var tensors: [(name: String, buffer: FloatBuffer, shape: [Int])] {
        let h = heads
        switch kind {
        case .dl, .dlSilu:
            return [
                ("ffn.w1", w1, [hidden, 2 * h]), ("ffn.b1", b1, [hidden]), ("ffn.w2", w2, [h, hidden]),
                ("ffn.b2", b2, [h]),
            ]
        case .sl: return [("ffn.w", w1, [h, 2 * h]), ("ffn.b", b1, [h])]
        case .plus: return []
        }
    }

    /// Init so that the output equals A_{n−1} exactly (training starts from DS with aligned heads):
    /// DL: hidden units i and h+i compute +x_i and −x_i, W₂ = [I, −I, 0] (act(x) − act(−x) = x for ReLU
    /// and SiLU alike); the other hidden units get N(0, σ) input weights; zero on the A_Δ block.
    /// SL: W = [I | 0], b = 0.
    public func initDSEquivalent(rng: inout GaussianRNG, sigma: Float = 0.02) {
        let h = heads
        for t in tensors { t.buffer.zero() }
        switch kind {
        case .dl, .dlSilu:
            for u in (2 * h)..<hidden { for j in 0..<h { w1[u * 2 * h + j] = rng.next() * sigma } }
            for i in 0..<h {
                w1[i * 2 * h + i] = 1; w1[(h + i) * 2 * h + i] = -1
                w2[i * hidden + i] = 1; w2[i * hidden + h + i] = -1
            }
        case .sl: for i in 0..<h { w1[i * 2 * h + i] = 1 }
        case .plus: break
        }
    }
}

/// Gradients of an AlignFFN's tensors (same shapes), accumulated by `alignFFNBackward`.
public typealias AlignFFNGrads = AlignFFN

/// Activations kept by the forward for the backward.
public final class AlignFFNActs {
    public let rows: Int
    public let pre: FloatBuffer  // [N, F] hidden pre-activation (DL kinds)
    public let act: FloatBuffer  // [N, F] hidden activation (DL kinds)
    public init(rows n: Int, hidden F: Int) {
        rows = n; pre = FloatBuffer(count: n * F); act = FloatBuffer(count: n * F)
    }
}

/// y[N, h] = FFN(x[N, 2h]); `acts` receives the hidden activations.
public func alignFFNForward(
    _ f: AlignFFN, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, acts: AlignFFNActs, rows n: Int
) {
    let h = f.heads, F = f.hidden
    guard n > 0 else { return }
    switch f.kind {
    case .dl, .dlSilu:
        BLAS.gemmNT(m: n, n: F, k: 2 * h, a: x, lda: 2 * h, b: f.w1.pointer, ldb: 2 * h, c: acts.pre.pointer, ldc: F)
        Kernels.addBias(acts.pre.pointer, f.b1.pointer, rows: n, n: F)
        let p = acts.pre.pointer, a = acts.act.pointer
        if f.kind == .dl {
            for i in 0..<(n * F) { a[i] = max(p[i], 0) }
        } else {
            for i in 0..<(n * F) { a[i] = Kernels.silu(p[i]) }
        }
        BLAS.gemmNT(m: n, n: h, k: F, a: a, lda: F, b: f.w2.pointer, ldb: F, c: y, ldc: h)
        Kernels.addBias(y, f.b2.pointer, rows: n, n: h)
    case .sl:
        BLAS.gemmNT(m: n, n: h, k: 2 * h, a: x, lda: 2 * h, b: f.w1.pointer, ldb: 2 * h, c: y, ldc: h)
        Kernels.addBias(y, f.b1.pointer, rows: n, n: h)
    case .plus:
        for r in 0..<n { for i in 0..<h { y[r * h + i] = x[r * 2 * h + i] + x[r * 2 * h + h + i] } }
    }
}

/// Backward of `alignFFNForward`: given dy[N, h], writes dx[N, 2h] and accumulates into `grads`.
/// Overwrites acts.act with the gradient of the hidden activation (no longer needed).
public func alignFFNBackward(
    _ f: AlignFFN, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, acts: AlignFFNActs, rows n: Int,
    dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>, grads g: AlignFFNGrads
) {
    let h = f.heads, F = f.hidden
    guard n > 0 else { return }
    func biasGrad(_ db: UnsafeMutablePointer<Float>, _ d: UnsafePointer<Float>, _ width: Int) {
        for r in 0..<n { for j in 0..<width { db[j] += d[r * width + j] } }
    }
    switch f.kind {
    case .dl, .dlSilu:
        // dW2[h, F] += dyᵀ · act ; db2 += Σ dy
        BLAS.gemmTN(m: h, n: F, k: n, a: dy, lda: h, b: acts.act.pointer, ldb: F, beta: 1, c: g.w2.pointer, ldc: F)
        biasGrad(g.b2.pointer, dy, h)
        // dact[N, F] = dy · W2, then through the activation into dpre (in acts.act)
        let da = acts.act.pointer, p = acts.pre.pointer
        BLAS.gemmNN(m: n, n: F, k: h, a: dy, lda: h, b: f.w2.pointer, ldb: F, c: da, ldc: F)
        if f.kind == .dl {
            for i in 0..<(n * F) where p[i] <= 0 { da[i] = 0 }
        } else {
            for i in 0..<(n * F) { let s = 1 / (1 + expf(-p[i])); da[i] *= s * (1 + p[i] * (1 - s)) }
        }
        BLAS.gemmTN(m: F, n: 2 * h, k: n, a: da, lda: F, b: x, ldb: 2 * h, beta: 1, c: g.w1.pointer, ldc: 2 * h)
        biasGrad(g.b1.pointer, da, F)
        BLAS.gemmNN(m: n, n: 2 * h, k: F, a: da, lda: F, b: f.w1.pointer, ldb: 2 * h, c: dx, ldc: 2 * h)
    case .sl:
        BLAS.gemmTN(m: h, n: 2 * h, k: n, a: dy, lda: h, b: x, ldb: 2 * h, beta: 1, c: g.w1.pointer, ldc: 2 * h)
        biasGrad(g.b1.pointer, dy, h)
        BLAS.gemmNN(m: n, n: 2 * h, k: h, a: dy, lda: h, b: f.w1.pointer, ldb: 2 * h, c: dx, ldc: 2 * h)
    case .plus:
        for r in 0..<n { for i in 0..<h { dx[r * 2 * h + i] = dy[r * h + i]; dx[r * 2 * h + h + i] = dy[r * h + i] } }
    }
}
