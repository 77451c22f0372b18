import Foundation

/// Rotary position embedding. NeoX layout (element i pairs with i + dims/2) for qwen2 and gemma3
/// (llama.cpp ROPE_TYPE_NEOX, transformers `rotate_half`); interleaved pairs (2i, 2i+1) for llama
/// GGUFs, whose converter permuted the Q/K rows for llama.cpp's ROPE_TYPE_NORM.
public struct RoPE: Sendable {
    public let dims: Int
    public let base: Float
    public let neox: Bool
    /// inverse frequencies θ_i = base^(−2i/dims), i < dims/2.
    public let invFreq: [Float]

    /// cos/sin of every position seen so far (shared by the copies of this value, filled on demand).
    private let table: RoPETable

    public init(dims: Int, base: Float, neox: Bool = true) {
        self.dims = dims
        self.base = base
        self.neox = neox
        // Computed in Double then rounded, like transformers' inv_freq buffer.
        invFreq = (0..<(dims / 2)).map { Float(1.0 / pow(Double(base), Double(2 * $0) / Double(dims))) }
        table = RoPETable(invFreq: invFreq)
    }

    /// Rotates the `heads` head vectors of each row of x in place.
    /// x: [rows, heads · stride], head h of row r starts at r·rowStride + h·dims; positions: [rows].
    public func apply(
        _ x: UnsafeMutablePointer<Float>, rows: Int, heads: Int, rowStride: Int, positions: UnsafePointer<Int>
    ) {
        rotate(x, rows: rows, heads: heads, rowStride: rowStride, positions: positions, inverse: false)
    }

    /// The inverse rotation (backward of `apply`: the rotation is orthogonal, so its transpose).
    public func applyInverse(
        _ x: UnsafeMutablePointer<Float>, rows: Int, heads: Int, rowStride: Int, positions: UnsafePointer<Int>
    ) {
        rotate(x, rows: rows, heads: heads, rowStride: rowStride, positions: positions, inverse: true)
    }

    /// Rows on the worker threads (each row alone, so the thread count changes nothing), cos/sin from the table.
    private func rotate(
        _ x: UnsafeMutablePointer<Float>, rows: Int, heads: Int, rowStride: Int, positions: UnsafePointer<Int>,
        inverse: Bool
    ) {
        let half = dims / 2
        var maxPos = 0
        for r in 0..<rows { maxPos = max(maxPos, positions[r]) }
        table.withRows(through: maxPos) { cosT, sinT in
            let workers = rows * heads * dims >= 32_768 ? min(Parallel.threads, rows) : 1
            Parallel.forEach(workers) { w in
                for r in stride(from: w, to: rows, by: workers) {
                    let cosv = cosT + positions[r] * half, sinv = sinT + positions[r] * half
                    for h in 0..<heads {
                        let v = x + r * rowStride + h * dims
                        for i in 0..<half {
                            let (i0, i1) = pair(i, half)
                            let x0 = v[i0], x1 = v[i1], c = cosv[i], s = sinv[i]
                            if inverse {
                                v[i0] = x0 * c + x1 * s
                                v[i1] = -x0 * s + x1 * c
                            } else {
                                v[i0] = x0 * c - x1 * s
                                v[i1] = x0 * s + x1 * c
                            }
                        }
                    }
                }
            }
        }
    }

    /// The two elements rotated together by frequency i.
    @inline(__always)
    func pair(_ i: Int, _ half: Int) -> (Int, Int) { neox ? (i, i + half) : (2 * i, 2 * i + 1) }
}

/// cos(p·θ_i), sin(p·θ_i) for positions 0…count−1 (angle in Double for accuracy at large positions, then Float):
/// [positions, dims/2] each, grown under a lock as longer sequences arrive; a prefill of 512 tokens otherwise
/// computes 2 × 128 × 512 cosines and sines per layer.
final class RoPETable: @unchecked Sendable {
    private let invFreq: [Float]
    private let lock = NSLock()
    private var cosv: [Float] = [], sinv: [Float] = []  // [count, half]
    private var count = 0

    init(invFreq: [Float]) { self.invFreq = invFreq }

    /// Calls body with the tables covering positions 0...last (valid for the call).
    func withRows<R>(through last: Int, _ body: (UnsafePointer<Float>, UnsafePointer<Float>) -> R) -> R {
        lock.lock()
        let half = invFreq.count
        if last >= count {
            let target = max(last + 1, min(2 * count, last + 4096))
            cosv.reserveCapacity(target * half); sinv.reserveCapacity(target * half)
            for p in count..<target {
                for i in 0..<half {
                    let a = Double(Float(p)) * Double(invFreq[i])
                    cosv.append(Float(cos(a))); sinv.append(Float(sin(a)))
                }
            }
            count = target
        }
        let c = cosv, s = sinv  // copies share storage; a later growth reallocates without touching them
        lock.unlock()
        return c.withUnsafeBufferPointer { cp in
            s.withUnsafeBufferPointer { sp in body(cp.baseAddress!, sp.baseAddress!) }
        }
    }
}
