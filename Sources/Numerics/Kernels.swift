import Foundation

/// Elementwise and row-wise transformer kernels (forward). Shapes are given per function;
/// all buffers are contiguous row-major Float32.
public enum Kernels {
    /// RMSNorm over rows: y[r, :] = x[r, :] / sqrt(mean(x[r, :]²) + eps) · w. x, y: [rows, n]; w: [n] or nil.
    /// The sum of squares is accumulated in Double and the scale computed in Float, as ggml does.
    public static func rmsNorm(
        _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>?, _ y: UnsafeMutablePointer<Float>,
        rows: Int, n: Int, eps: Float
    ) {
        // rows on the worker threads for a prefill (each row alone: the thread count changes nothing)
        let workers = rows * n >= 65_536 ? min(Parallel.threads, rows) : 1
        Parallel.forEach(workers) { t in
            for r in stride(from: t, to: rows, by: workers) {
                let xr = x + r * n, yr = y + r * n
                var ss = 0.0
                for i in 0..<n { let v = Double(xr[i]); ss += v * v }
                let scale = 1 / sqrtf(Float(ss / Double(n)) + eps)
                if let w {
                    for i in 0..<n { yr[i] = xr[i] * scale * w[i] }
                } else {
                    for i in 0..<n { yr[i] = xr[i] * scale }
                }
            }
        }
    }

    /// In-place softmax over each row of x: [rows, n]. -inf entries become exactly 0.
    public static func softmaxRows(_ x: UnsafeMutablePointer<Float>, rows: Int, n: Int) {
        for r in 0..<rows { softmax(x + r * n, n) }
    }

    @inline(__always)
    public static func softmax(_ x: UnsafeMutablePointer<Float>, _ n: Int) {
        var mx = -Float.infinity
        for i in 0..<n where x[i] > mx { mx = x[i] }
        if mx == -Float.infinity { for i in 0..<n { x[i] = 0 }; return }
        var sum = 0.0
        for i in 0..<n { let e = expf(x[i] - mx); x[i] = e; sum += Double(e) }
        let inv = Float(1 / sum)
        for i in 0..<n { x[i] *= inv }
    }

    /// GELU, tanh approximation (Gemma's `gelu_pytorch_tanh`): 0.5·x·(1 + tanh(u)) with
    /// u = √(2/π)(x + 0.044715x³). Since 0.5(1 + tanh u) = σ(2u), this is x·σ(2u): one expf
    /// instead of tanhf (which costs an expm1f and a division), the same function.
    @inline(__always)
    public static func geluTanh(_ x: Float) -> Float {
        let c: Float = 0.7978845608028654  // sqrt(2/π)
        let u = c * (x + 0.044715 * x * x * x)
        return x / (1 + expf(-2 * u))
    }

    @inline(__always)
    public static func silu(_ x: Float) -> Float { x / (1 + expf(-x)) }

    /// Gated FFN activation in place: gate[i] = act(gate[i]) · up[i]. gate, up: [count].
    public static func gatedActivation(
        _ gate: UnsafeMutablePointer<Float>, _ up: UnsafePointer<Float>, count: Int, gelu: Bool
    ) {
        if gelu {
            for i in 0..<count { gate[i] = geluTanh(gate[i]) * up[i] }
        } else {
            for i in 0..<count { gate[i] = silu(gate[i]) * up[i] }
        }
    }

    /// y += x, both [count].
    @inline(__always)
    public static func add(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, count: Int) {
        for i in 0..<count { y[i] += x[i] }
    }

    /// Adds a bias [n] to every row of x: [rows, n].
    public static func addBias(_ x: UnsafeMutablePointer<Float>, _ b: UnsafePointer<Float>, rows: Int, n: Int) {
        for r in 0..<rows { add(x + r * n, b, count: n) }
    }

    @inline(__always)
    public static func scale(_ x: UnsafeMutablePointer<Float>, _ s: Float, count: Int) {
        for i in 0..<count { x[i] *= s }
    }
}
