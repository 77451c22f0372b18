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

    public init(dims: Int, base: Float, neox: Bool = true) {
        self.dims = dims
        self.base = base
        self.neox = neox
        // Computed in Double then rounded, like transformers' inv_freq buffer.
        invFreq = (0..<(dims / 2)).map { Float(1.0 / pow(Double(base), Double(2 * $0) / Double(dims))) }
    }

    /// Rotates the `heads` head vectors of each row of x in place.
    /// x: [rows, heads · stride], head h of row r starts at r·rowStride + h·dims; positions: [rows].
    public func apply(
        _ x: UnsafeMutablePointer<Float>, rows: Int, heads: Int, rowStride: Int, positions: UnsafePointer<Int>
    ) {
        let half = dims / 2
        var cosv = [Float](repeating: 0, count: half), sinv = [Float](repeating: 0, count: half)
        for r in 0..<rows {
            let p = Float(positions[r])
            for i in 0..<half {
                // angle in Double for accuracy at large positions, then Float.
                let a = Double(p) * Double(invFreq[i])
                cosv[i] = Float(cos(a)); sinv[i] = Float(sin(a))
            }
            for h in 0..<heads {
                let v = x + r * rowStride + h * dims
                for i in 0..<half {
                    let (i0, i1) = pair(i, half)
                    let x0 = v[i0], x1 = v[i1]
                    v[i0] = x0 * cosv[i] - x1 * sinv[i]
                    v[i1] = x0 * sinv[i] + x1 * cosv[i]
                }
            }
        }
    }

    /// The inverse rotation (backward of `apply`: the rotation is orthogonal, so its transpose).
    public func applyInverse(
        _ x: UnsafeMutablePointer<Float>, rows: Int, heads: Int, rowStride: Int, positions: UnsafePointer<Int>
    ) {
        let half = dims / 2
        for r in 0..<rows {
            let p = Double(positions[r])
            for h in 0..<heads {
                let v = x + r * rowStride + h * dims
                for i in 0..<half {
                    let a = p * Double(invFreq[i])
                    let c = Float(cos(a)), s = Float(sin(a))
                    let (i0, i1) = pair(i, half)
                    let x0 = v[i0], x1 = v[i1]
                    v[i0] = x0 * c + x1 * s
                    v[i1] = -x0 * s + x1 * c
                }
            }
        }
    }

    /// The two elements rotated together by frequency i.
    @inline(__always)
    func pair(_ i: Int, _ half: Int) -> (Int, Int) { neox ? (i, i + half) : (2 * i, 2 * i + 1) }
}
