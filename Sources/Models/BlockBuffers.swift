import Numerics

/// The buffers one decoder block writes, for R = B·T stacked query rows (B sequences of T rows, sequence-major)
/// and S visible keys per sequence. Inference passes one set for all layers, in which the pairs that a backward
/// would need apart share one buffer (`shared`); training passes a fresh set per layer that keeps every
/// activation its hand-written backward reads (`kept`). The block copies between two names only when they differ.
public final class BlockBuffers {
    public let xIn: FloatBuffer?  // [R, d]           block input (residual stream); nil: not kept
    public let h1: FloatBuffer  // [R, d]           attention RMSNorm output H
    public let q0: FloatBuffer  // [R, nHeads·hd]   Q after bias, before Q-norm and RoPE
    public let q: FloatBuffer  // [R, nHeads·hd]   Q after Q-norm and RoPE
    public let k0: FloatBuffer  // [R, nKV·hd]      K after bias, before K-norm and RoPE
    public let k: FloatBuffer  // [R, nKV·hd]      K after K-norm and RoPE
    public let v: FloatBuffer  // [R, nKV·hd]
    public let ctx: FloatBuffer  // [R, nHeads·hd]   Concat_h(P_h·V_g(h))
    public let o: FloatBuffer  // [R, d]           attention output before the post-attention norm
    public let oNormed: FloatBuffer  // [R, d]           after the post-attention norm (added to the residual)
    public let x2: FloatBuffer?  // [R, d]           residual after the attention sub-block; nil: not kept
    public let h2: FloatBuffer  // [R, d]           FFN RMSNorm output
    public let gate: FloatBuffer  // [R, nFF]         gate pre-activation
    public let up: FloatBuffer  // [R, nFF]
    public let act: FloatBuffer  // [R, nFF]         act(gate)·up
    public let f: FloatBuffer  // [R, d]           FFN output before the post-FFN norm
    public let fNormed: FloatBuffer  // [R, d]           after the post-FFN norm (added to the residual)
    /// B sequences × T query rows each; S visible keys per sequence (the most of any sequence).
    public let B: Int, T: Int, S: Int

    init(
        xIn: FloatBuffer?, h1: FloatBuffer, q0: FloatBuffer, q: FloatBuffer, k0: FloatBuffer, k: FloatBuffer,
        v: FloatBuffer, ctx: FloatBuffer, o: FloatBuffer, oNormed: FloatBuffer, x2: FloatBuffer?, h2: FloatBuffer,
        gate: FloatBuffer, up: FloatBuffer, act: FloatBuffer, f: FloatBuffer, fNormed: FloatBuffer, B: Int, T: Int,
        S: Int
    ) {
        self.xIn = xIn; self.h1 = h1; self.q0 = q0; self.q = q; self.k0 = k0; self.k = k; self.v = v; self.ctx = ctx
        self.o = o; self.oNormed = oNormed; self.x2 = x2; self.h2 = h2; self.gate = gate; self.up = up; self.act = act
        self.f = f; self.fNormed = fNormed; self.B = B; self.T = T; self.S = S
    }

    /// One set reused by every layer of an inference call: eight buffers, the kept-apart pairs aliased.
    public static func shared(config c: ModelConfig, B: Int = 1, T rowsPerSequence: Int, S: Int) -> BlockBuffers {
        let R = B * rowsPerSequence
        let h = FloatBuffer(count: R * c.nEmbd, zeroed: false), q = FloatBuffer(count: R * c.qDim, zeroed: false)
        let k = FloatBuffer(count: R * c.kvDim, zeroed: false), v = FloatBuffer(count: R * c.kvDim, zeroed: false)
        let ctx = FloatBuffer(count: R * c.qDim, zeroed: false), o = FloatBuffer(count: R * c.nEmbd, zeroed: false)
        let gate = FloatBuffer(count: R * c.nFF, zeroed: false), up = FloatBuffer(count: R * c.nFF, zeroed: false)
        return BlockBuffers(
            xIn: nil, h1: h, q0: q, q: q, k0: k, k: k, v: v, ctx: ctx, o: o, oNormed: o, x2: nil, h2: h,
            gate: gate, up: up, act: gate, f: o, fNormed: o, B: B, T: rowsPerSequence, S: S)
    }

    /// Every activation in its own buffer, for one sequence of T rows at positions 0..<T (training).
    public static func kept(config c: ModelConfig, T: Int) -> BlockBuffers {
        func b(_ n: Int) -> FloatBuffer { FloatBuffer(count: T * n) }
        let d = c.nEmbd
        return BlockBuffers(
            xIn: b(d), h1: b(d), q0: b(c.qDim), q: b(c.qDim), k0: b(c.kvDim), k: b(c.kvDim),
            v: b(c.kvDim), ctx: b(c.qDim), o: b(d), oNormed: b(d), x2: b(d), h2: b(d),
            gate: b(c.nFF), up: b(c.nFF), act: b(c.nFF), f: b(d), fNormed: b(d), B: 1, T: T, S: T)
    }

    static func checkFinite(_ p: UnsafePointer<Float>, count: Int, layer: Int, op: String, rowWidth: Int) throws {
        for i in 0..<count where !p[i].isFinite {
            throw ModelError.nonFinite(layer: layer, op: op, position: i / max(rowWidth, 1))
        }
    }
    static func checkFinite(_ a: [Float], layer: Int, op: String, rowWidth: Int) throws {
        try a.withUnsafeBufferPointer {
            try checkFinite($0.baseAddress!, count: a.count, layer: layer, op: op, rowWidth: rowWidth)
        }
    }
}

/// y ← x (count floats) unless y is x itself: the copy between two kept-apart activations.
@inline(__always)
func copyIfApart(_ x: FloatBuffer, _ y: FloatBuffer, count: Int) {
    if x !== y { y.pointer.update(from: x.pointer, count: count) }
}

/// One sequence's attention planes: pre-softmax scores and probabilities, each [H, T, S].
public typealias AttentionPlanes = (scores: FloatBuffer, probs: FloatBuffer)

/// Which linear map of a block a `LinearAdapter` is asked about.
public enum LinearTarget: String, CaseIterable, Sendable { case q, k, v, o, gate, up, down }

/// Something added to a block's frozen linear maps (DS_LoRA's adapters): called after y = x·Wᵀ + bias.
public protocol LinearAdapter: AnyObject {
    /// Adds the adapter's output for `target` of layer `layer` to y [rows, out]; x: [rows, in], the map's input.
    func adapt(layer: Int, target: LinearTarget, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, rows: Int)
}
