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

/// Rows (visible (query, key) entries) per chunk of the DL FFN: a chunk's hidden layer [C, F] stays in cache, and
/// the backward recomputes it from x instead of keeping [N, F] twice for every entry (268 MB a layer for one
/// 512-token sequence at F = 256, which put a 10-layer, 2 × 512-token joint step at 4.9 GB).
let alignFFNChunkRows = 256
/// Row groups whose weight-gradient partial sums are added in a fixed order, so the gradients do not depend on the
/// thread count (which thread runs a group never changes what it computes).
let alignFFNGradientGroups = 16

/// The DL hidden layer of rows x[rows, 2h]: pre = x·W1ᵀ + b1 and act = ReLU or SiLU of it, both [rows, F].
private func alignFFNHidden(
    _ f: AlignFFN, x: UnsafePointer<Float>, rows: Int, pre: UnsafeMutablePointer<Float>,
    act: UnsafeMutablePointer<Float>
) {
    let h = f.heads, F = f.hidden
    BLAS.gemmNT(m: rows, n: F, k: 2 * h, a: x, lda: 2 * h, b: f.w1.pointer, ldb: 2 * h, c: pre, ldc: F)
    Kernels.addBias(pre, f.b1.pointer, rows: rows, n: F)
    if f.kind == .dl {
        for i in 0..<(rows * F) { act[i] = max(pre[i], 0) }
    } else {
        for i in 0..<(rows * F) { act[i] = Kernels.silu(pre[i]) }
    }
}

/// y[N, h] = FFN(x[N, 2h]). The DL kinds run in chunks of `alignFFNChunkRows` rows on the workers.
public func alignFFNForward(_ f: AlignFFN, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, rows n: Int) {
    let h = f.heads, F = f.hidden, C = alignFFNChunkRows
    guard n > 0 else { return }
    switch f.kind {
    case .dl, .dlSilu:
        let chunks = (n + C - 1) / C
        let workers = min(Parallel.threads, chunks)
        let scratch = FloatBuffer(count: workers * 2 * C * F, zeroed: false)  // [workers, 2, C, F] pre, act
        Parallel.forEach(workers) { w in
            let pre = scratch.pointer + w * 2 * C * F, act = pre + C * F
            for c in stride(from: w, to: chunks, by: workers) {
                let r0 = c * C, rows = min(C, n - r0)
                alignFFNHidden(f, x: x + r0 * 2 * h, rows: rows, pre: pre, act: act)
                BLAS.gemmNT(m: rows, n: h, k: F, a: act, lda: F, b: f.w2.pointer, ldb: F, c: y + r0 * h, ldc: h)
                Kernels.addBias(y + r0 * h, f.b2.pointer, rows: rows, n: h)
            }
        }
        withExtendedLifetime(scratch) {}
    case .sl:
        BLAS.gemmNT(m: n, n: h, k: 2 * h, a: x, lda: 2 * h, b: f.w1.pointer, ldb: 2 * h, c: y, ldc: h)
        Kernels.addBias(y, f.b1.pointer, rows: n, n: h)
    case .plus:
        for r in 0..<n { for i in 0..<h { y[r * h + i] = x[r * 2 * h + i] + x[r * 2 * h + h + i] } }
    }
}

/// Backward of `alignFFNForward`: given dy[N, h], writes dx[N, 2h] and accumulates into `grads`. The DL kinds
/// recompute each chunk's hidden layer from x; each of `alignFFNGradientGroups` groups of consecutive chunks sums
/// its own weight gradients, and the groups are added in order.
public func alignFFNBackward(
    _ f: AlignFFN, x: UnsafePointer<Float>, rows n: Int, dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>,
    grads g: AlignFFNGrads
) {
    let h = f.heads, F = f.hidden, C = alignFFNChunkRows
    guard n > 0 else { return }
    func biasGrad(_ db: UnsafeMutablePointer<Float>, _ d: UnsafePointer<Float>, rows: Int, _ width: Int) {
        for r in 0..<rows { for j in 0..<width { db[j] += d[r * width + j] } }
    }
    switch f.kind {
    case .dl, .dlSilu:
        let chunks = (n + C - 1) / C, groups = min(alignFFNGradientGroups, chunks)
        let sizes = (w1: F * 2 * h, b1: F, w2: h * F, b2: h), per = F * 2 * h + F + h * F + h
        let partial = FloatBuffer(count: groups * per)  // [groups, per]: dW1, db1, dW2, db2 of each group
        Parallel.forEach(groups) { gi in
            let dW1 = partial.pointer + gi * per, db1 = dW1 + sizes.w1, dW2 = db1 + sizes.b1, db2 = dW2 + sizes.w2
            let scratch = FloatBuffer(count: 3 * C * F, zeroed: false)  // [3, C, F] pre, act, dact
            let pre = scratch.pointer, act = pre + C * F, da = act + C * F
            for c in (gi * chunks / groups)..<((gi + 1) * chunks / groups) {
                let r0 = c * C, rows = min(C, n - r0)
                let xc = x + r0 * 2 * h, dyc = dy + r0 * h
                alignFFNHidden(f, x: xc, rows: rows, pre: pre, act: act)
                // dW2[h, F] += dyᵀ · act ; db2 += Σ dy
                BLAS.gemmTN(m: h, n: F, k: rows, a: dyc, lda: h, b: act, ldb: F, beta: 1, c: dW2, ldc: F)
                biasGrad(db2, dyc, rows: rows, h)
                // dact[rows, F] = dy · W2, then through the activation into dpre
                BLAS.gemmNN(m: rows, n: F, k: h, a: dyc, lda: h, b: f.w2.pointer, ldb: F, c: da, ldc: F)
                if f.kind == .dl {
                    for i in 0..<(rows * F) where pre[i] <= 0 { da[i] = 0 }
                } else {
                    for i in 0..<(rows * F) {
                        let s = 1 / (1 + expf(-pre[i]))
                        da[i] *= s * (1 + pre[i] * (1 - s))
                    }
                }
                BLAS.gemmTN(m: F, n: 2 * h, k: rows, a: da, lda: F, b: xc, ldb: 2 * h, beta: 1, c: dW1, ldc: 2 * h)
                biasGrad(db1, da, rows: rows, F)
                BLAS.gemmNN(
                    m: rows, n: 2 * h, k: F, a: da, lda: F, b: f.w1.pointer, ldb: 2 * h, c: dx + r0 * 2 * h,
                    ldc: 2 * h)
            }
            withExtendedLifetime(scratch) {}
        }
        for gi in 0..<groups {
            let p = partial.pointer + gi * per
            Kernels.add(g.w1.pointer, p, count: sizes.w1)
            Kernels.add(g.b1.pointer, p + sizes.w1, count: sizes.b1)
            Kernels.add(g.w2.pointer, p + sizes.w1 + sizes.b1, count: sizes.w2)
            Kernels.add(g.b2.pointer, p + sizes.w1 + sizes.b1 + sizes.w2, count: sizes.b2)
        }
        withExtendedLifetime(partial) {}
    case .sl:
        BLAS.gemmTN(m: h, n: 2 * h, k: n, a: dy, lda: h, b: x, ldb: 2 * h, beta: 1, c: g.w1.pointer, ldc: 2 * h)
        biasGrad(g.b1.pointer, dy, rows: n, h)
        BLAS.gemmNN(m: n, n: 2 * h, k: h, a: dy, lda: h, b: f.w1.pointer, ldb: 2 * h, c: dx, ldc: 2 * h)
    case .plus:
        for r in 0..<n { for i in 0..<h { dx[r * 2 * h + i] = dy[r * h + i]; dx[r * 2 * h + h + i] = dy[r * h + i] } }
    }
}
