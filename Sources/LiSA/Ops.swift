import Foundation
import Models
import Numerics

/// Standard normal draws (Box–Muller) from the workbench's seeded SplitMix generator.
public struct GaussianRNG {
    var base: SeededRandom
    public init(seed: UInt64) { base = SeededRandom(seed: seed) }
    public mutating func next() -> Float {
        let u1 = max(base.nextUnit(), 1e-300), u2 = base.nextUnit()
        return Float((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
    }
}

/// Row softmax backward: dx = p ⊙ (dp − Σ_j p_j dp_j). p, dp, dx: [rows, n]; dx may alias dp.
public func softmaxForward(_ x: UnsafeMutablePointer<Float>, rows: Int, n: Int) {
    Kernels.softmaxRows(x, rows: rows, n: n)
}
public func softmaxBackward(
    _ p: UnsafePointer<Float>, dp: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>, rows: Int, n: Int
) {
    for r in 0..<rows {
        let pr = p + r * n, dr = dp + r * n, xr = dx + r * n
        var dot = 0.0
        for j in 0..<n where pr[j] != 0 { dot += Double(pr[j] * dr[j]) }
        let s = Float(dot)
        for j in 0..<n { xr[j] = pr[j] == 0 ? 0 : pr[j] * (dr[j] - s) }
    }
}

/// Huber loss (eq 8) summed over the entries where `a` is finite (the visible ones):
/// ½(a−b)² if |a−b| ≤ δ, else δ(|a−b| − ½δ). a, b: [count]. Returns (sum, visible count).
public func huberForward(
    _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int, delta: Float = 1
) -> (sum: Double, count: Int) {
    var s = 0.0, c = 0
    for i in 0..<count where a[i].isFinite {
        let e = abs(a[i] - b[i])
        s += Double(e <= delta ? 0.5 * e * e : delta * (e - 0.5 * delta)); c += 1
    }
    return (s, c)
}

/// Backward of `huberForward` scaled by `scale` (e.g. 1/count/|S|): da[i] += scale · clamp(a−b, −δ, δ).
public func huberBackward(
    _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int, delta: Float = 1,
    scale: Float, da: UnsafeMutablePointer<Float>
) {
    for i in 0..<count where a[i].isFinite { da[i] += scale * min(max(a[i] - b[i], -delta), delta) }
}

/// RoPE forward/backward pair over heads of `dims` values (backward = inverse rotation).
public func ropeForward(_ r: RoPE, _ x: UnsafeMutablePointer<Float>, rows: Int, heads: Int, positions: [Int]) {
    positions.withUnsafeBufferPointer {
        r.apply(x, rows: rows, heads: heads, rowStride: heads * r.dims, positions: $0.baseAddress!)
    }
}
public func ropeBackward(_ r: RoPE, _ dx: UnsafeMutablePointer<Float>, rows: Int, heads: Int, positions: [Int]) {
    positions.withUnsafeBufferPointer {
        r.applyInverse(dx, rows: rows, heads: heads, rowStride: heads * r.dims, positions: $0.baseAddress!)
    }
}
