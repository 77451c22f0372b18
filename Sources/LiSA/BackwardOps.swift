import Foundation
import Numerics

// Hand-written backward passes (llm.c style) of the frozen ops the joint phase differentiates through.
// Base weights are frozen, so each returns only the gradient with respect to its input.

/// Backward of `Kernels.rmsNorm` (y = x·s·w, s = (mean(x²) + ε)^(−½)):
/// dx_i = s·w_i·dy_i − x_i·s³/n · Σ_j dy_j·w_j·x_j. x, dy: [rows, n]; w: [n] or nil; dx: [rows, n].
/// With `accumulate`, dx += the gradient (residual branches), else dx = it. dx must not alias x or dy.
public func rmsNormBackward(
    _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>?, dy: UnsafePointer<Float>,
    dx: UnsafeMutablePointer<Float>, rows: Int, n: Int, eps: Float, accumulate: Bool = false
) {
    for r in 0..<rows {
        let xr = x + r * n, dyr = dy + r * n, dxr = dx + r * n
        var ss = 0.0, dot = 0.0
        for i in 0..<n {
            let xi = Double(xr[i])
            ss += xi * xi
            dot += Double(dyr[i]) * Double(w?[i] ?? 1) * xi
        }
        let s = 1 / (ss / Double(n) + Double(eps)).squareRoot()
        let c = Float(dot * s * s * s / Double(n)), sf = Float(s)
        for i in 0..<n {
            let g = sf * (w?[i] ?? 1) * dyr[i] - xr[i] * c
            dxr[i] = accumulate ? dxr[i] + g : g
        }
    }
}

/// Derivative of GELU-tanh: x·σ(2u), u = c(x + 0.044715x³) → σ(2u) + x·σ(2u)(1 − σ(2u))·2c(1 + 3·0.044715x²).
@inline(__always)
public func geluTanhDerivative(_ x: Float) -> Float {
    let c: Float = 0.7978845608028654
    let u = c * (x + 0.044715 * x * x * x)
    let s = 1 / (1 + expf(-2 * u))
    return s + x * s * (1 - s) * 2 * c * (1 + 3 * 0.044715 * x * x)
}

/// Derivative of SiLU x·σ(x): σ(x)(1 + x(1 − σ(x))).
@inline(__always)
public func siluDerivative(_ x: Float) -> Float {
    let s = 1 / (1 + expf(-x))
    return s * (1 + x * (1 - s))
}

/// Backward of `Kernels.gatedActivation` (a = act(gate)·up). gate, up: pre-activation inputs [count];
/// da: [count]; writes dGate and dUp [count].
public func gatedActivationBackward(
    gate: UnsafePointer<Float>, up: UnsafePointer<Float>, da: UnsafePointer<Float>,
    dGate: UnsafeMutablePointer<Float>, dUp: UnsafeMutablePointer<Float>, count: Int, gelu: Bool
) {
    for i in 0..<count {
        let g = gate[i]
        let act = gelu ? Kernels.geluTanh(g) : Kernels.silu(g)
        let der = gelu ? geluTanhDerivative(g) : siluDerivative(g)
        dUp[i] = da[i] * act
        dGate[i] = da[i] * up[i] * der
    }
}

/// Mean next-token cross-entropy over `targets.count` rows of logits [rows, V] (row t predicts targets[t]).
/// Overwrites logits with dL/dlogits = (softmax − onehot)/rows. Returns the mean loss.
public func crossEntropyForwardBackward(_ logits: UnsafeMutablePointer<Float>, targets: [Int], vocab V: Int) -> Double {
    let n = targets.count, inv = 1 / Float(n)
    let rowLoss = UnsafeMutablePointer<Double>.allocate(capacity: n)  // [n] each row's −log p(target)
    defer { rowLoss.deallocate() }
    // rows on the worker threads: each row is the same sequential computation on any thread, and the losses are
    // summed in row order below, so nothing depends on the thread count
    let workers = min(Parallel.threads, n)
    Parallel.forEach(workers) { w in
        for t in stride(from: w, to: n, by: workers) {
            let row = logits + t * V, y = targets[t], target = row[y]
            var mx = -Float.infinity
            for j in 0..<V where row[j] > mx { mx = row[j] }
            var sum = 0.0
            for j in 0..<V {
                let e = expf(row[j] - mx)  // kept in place: the gradient below needs the same exponentials
                row[j] = e
                sum += Double(e)
            }
            rowLoss[t] = log(sum) + Double(mx) - Double(target)
            let invSum = Float(1 / sum)
            for j in 0..<V { row[j] = row[j] * invSum * inv }
            row[y] -= inv
        }
    }
    var total = 0.0
    for t in 0..<n { total += rowLoss[t] }
    return total / Double(n)
}

/// Standard attention scores backward: S_h = α·Q_h·K_g(h)ᵀ (masked entries already zero in dS).
/// dS: [h, T, T]; q: [T, h·hd]; k: [T, h_kv·hd]. Writes dQ [T, h·hd] and dK [T, h_kv·hd].
public func scoresBackward(
    dS: UnsafePointer<Float>, q: UnsafePointer<Float>, k: UnsafePointer<Float>, alpha: Float,
    dQ: UnsafeMutablePointer<Float>, dK: UnsafeMutablePointer<Float>,
    T: Int, heads H: Int, kvHeads: Int, headDim hd: Int
) {
    let qDim = H * hd, kvDim = kvHeads * hd, g = H / kvHeads, plane = T * T
    dK.update(repeating: 0, count: T * kvDim)
    for i in 0..<H {
        let kg = (i / g) * hd
        // dQ_i [T, hd] = α·dS_i·K_g ; dK_g += α·dS_iᵀ·Q_i
        BLAS.gemmNN(
            m: T, n: hd, k: T, alpha: alpha, a: dS + i * plane, lda: T, b: k + kg, ldb: kvDim,
            c: dQ + i * hd, ldc: qDim)
        BLAS.gemmTN(
            m: T, n: hd, k: T, alpha: alpha, a: dS + i * plane, lda: T, b: q + i * hd, ldb: qDim,
            beta: 1, c: dK + kg, ldc: kvDim)
    }
}
