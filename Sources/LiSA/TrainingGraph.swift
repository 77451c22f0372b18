import Foundation
import Models
import Numerics

/// The trainable modules placed in the network: LiSA layers, direct-sharing layers (head for head) and
/// LoRA adapters (the DS_LoRA baseline). Layers not named run the base model's standard attention.
public struct TrainingModules {
    public var lisa: [Int: LiSALayer] = [:]
    public var ds: Set<Int> = []
    public var lora: [Int: LayerLoRA] = [:]
    public init(lisa: [Int: LiSALayer] = [:], ds: Set<Int> = [], lora: [Int: LayerLoRA] = [:]) {
        self.lisa = lisa; self.ds = ds; self.lora = lora
    }
    /// The lowest layer whose computation differs from the base model (nothing below it needs a backward).
    public var first: Int? { (Array(lisa.keys) + Array(ds) + Array(lora.keys)).min() }
}

/// Activations of one decoder block kept by `TrainingGraph.forward` for the backward.
final class BlockActs {
    let xIn: FloatBuffer      // [T, d]       block input (residual stream)
    let h1: FloatBuffer       // [T, d]       attention RMSNorm output H
    let q0: FloatBuffer       // [T, h·hd]    Q after bias, before Q-norm
    let q: FloatBuffer        // [T, h·hd]    Q after Q-norm and RoPE
    let k0: FloatBuffer       // [T, kv·hd]   K after bias, before K-norm
    let k: FloatBuffer        // [T, kv·hd]   K after K-norm and RoPE
    let v: FloatBuffer        // [T, kv·hd]
    let scores: FloatBuffer   // [h, T, T]    pre-softmax, masked −inf (A_n)
    let probs: FloatBuffer    // [h, T, T]
    let ctx: FloatBuffer      // [T, h·hd]
    let o: FloatBuffer        // [T, d]       attention output before the post-attention norm
    let x2: FloatBuffer       // [T, d]       residual after attention
    let h2: FloatBuffer       // [T, d]       FFN RMSNorm output
    let gate: FloatBuffer     // [T, F]       gate pre-activation
    let up: FloatBuffer       // [T, F]
    let act: FloatBuffer      // [T, F]       act(gate)·up
    let f: FloatBuffer        // [T, d]       FFN output before the post-FFN norm
    var lisa: LiSAActs?
    /// LoRA intermediates x·Aᵀ per target: [T, r].
    var loraMid: [LayerLoRA.Target: FloatBuffer] = [:]

    init(c: ModelConfig, T: Int) {
        let d = c.nEmbd, H = c.nHeads
        xIn = FloatBuffer(count: T * d); h1 = FloatBuffer(count: T * d)
        q0 = FloatBuffer(count: T * c.qDim); q = FloatBuffer(count: T * c.qDim)
        k0 = FloatBuffer(count: T * c.kvDim); k = FloatBuffer(count: T * c.kvDim); v = FloatBuffer(count: T * c.kvDim)
        scores = FloatBuffer(count: H * T * T); probs = FloatBuffer(count: H * T * T)
        ctx = FloatBuffer(count: T * c.qDim); o = FloatBuffer(count: T * d); x2 = FloatBuffer(count: T * d)
        h2 = FloatBuffer(count: T * d)
        gate = FloatBuffer(count: T * c.nFF); up = FloatBuffer(count: T * c.nFF); act = FloatBuffer(count: T * c.nFF)
        f = FloatBuffer(count: T * d)
    }
}

/// Full-sequence forward of the base model with `modules` in place (positions 0..<T, no cache), keeping
/// what the hand-written backward (TrainingGraphBackward.swift) needs. The math is Transformer's
/// (Models/TransformerLayer.swift) written out per op; a test checks the logits agree.
public final class TrainingGraph {
    public let model: Transformer
    public let modules: TrainingModules
    let ropes: [RoPE]
    var blocks: [BlockActs] = []
    var xFinal = FloatBuffer(count: 0)       // [T, d]   last block's output
    var normedFinal = FloatBuffer(count: 0)  // [T, d]   after the final RMSNorm
    public private(set) var logits = FloatBuffer(count: 0)   // [T, V]
    public private(set) var tokens: [Int] = []

    public init(model: Transformer, modules: TrainingModules) {
        self.model = model; self.modules = modules
        let c = model.config
        ropes = (0..<c.nLayers).map { RoPE(dims: c.headDim, base: c.ropeBase(layer: $0), neox: c.ropeNeox) }
    }

    /// Whether key b is visible to query a in layer l (causal; sliding window on local layers).
    @inline(__always)
    func visible(_ l: Int, _ a: Int, _ b: Int) -> Bool {
        let c = model.config
        if b > a { return false }
        if c.isSlidingLayer[l], let w = c.slidingWindow { return b > a - w }
        return true
    }

    /// Scores of layer `l` (A_l) after the last forward: [h, T, T], masked entries −inf.
    public func scores(layer l: Int) -> FloatBuffer { blocks[l].scores }

    /// y[T, out] = x·Wᵀ (+ bias) (+ the LoRA adapter on `target` of layer l, if any).
    func linear(_ l: Int, _ target: LayerLoRA.Target?, x: FloatBuffer, w: WeightMatrix, bias: FloatBuffer?, y: FloatBuffer,
                inDim: Int, outDim: Int, T: Int) {
        w.forward(x.pointer, m: T, into: y.pointer, mode: .exact)
        if let bias { Kernels.addBias(y.pointer, bias.pointer, rows: T, n: outDim) }
        if let target, let ad = modules.lora[l]?[target] {
            let mid = FloatBuffer(count: T * ad.rank)                  // [T, r]
            ad.forward(x: x.pointer, mid: mid.pointer, y: y.pointer, rows: T)
            blocks[l].loraMid[target] = mid
        }
    }

    /// Runs the network on `tokens` and fills `logits` [T, V].
    public func forward(_ tokens: [Int]) throws {
        let c = model.config, W = model.weights
        let T = tokens.count, d = c.nEmbd, H = c.nHeads, hd = c.headDim, plane = T * T
        guard T >= 2 else { throw CheckpointError.config("A training sequence needs at least 2 tokens, got \(T).") }
        guard T <= c.contextLength else { throw ModelError.promptTooLong(tokens: T, context: c.contextLength) }
        for t in tokens where t < 0 || t >= c.vocabSize { throw ModelError.tokenOutOfRange(id: t, vocab: c.vocabSize) }
        self.tokens = tokens
        let x = FloatBuffer(count: T * d)                      // [T, d] residual stream
        for (i, t) in tokens.enumerated() { model.embed(token: t, into: x.pointer + i * d) }
        let pos = Array(0..<T)
        blocks = (0..<c.nLayers).map { _ in BlockActs(c: c, T: T) }
        for l in 0..<c.nLayers {
            let a = blocks[l], w = W.layers[l]
            a.xIn.pointer.update(from: x.pointer, count: T * d)
            Kernels.rmsNorm(x.pointer, w.attnNorm.pointer, a.h1.pointer, rows: T, n: d, eps: c.rmsEps)
            linear(l, .v, x: a.h1, w: w.wv, bias: w.bv, y: a.v, inDim: d, outDim: c.kvDim, T: T)
            if let L = modules.lisa[l] {
                let la = LiSAActs(layer: L, T: T)
                lisaAttentionForward(L, input: a.h1.pointer, prevScores: blocks[l - 1].scores.pointer, acts: la)
                a.lisa = la
                a.scores.pointer.update(from: la.scores.pointer, count: H * plane)
                a.probs.pointer.update(from: la.probs.pointer, count: H * plane)
            } else if modules.ds.contains(l) {
                // direct sharing, head for head: A_l = A_{l−1}, P_l = P_{l−1}
                a.scores.pointer.update(from: blocks[l - 1].scores.pointer, count: H * plane)
                a.probs.pointer.update(from: blocks[l - 1].probs.pointer, count: H * plane)
            } else {
                linear(l, nil, x: a.h1, w: w.wq, bias: w.bq, y: a.q0, inDim: d, outDim: c.qDim, T: T)
                linear(l, nil, x: a.h1, w: w.wk, bias: w.bk, y: a.k0, inDim: d, outDim: c.kvDim, T: T)
                a.q.pointer.update(from: a.q0.pointer, count: T * c.qDim)
                a.k.pointer.update(from: a.k0.pointer, count: T * c.kvDim)
                if let qn = w.qNorm { Kernels.rmsNorm(a.q.pointer, qn.pointer, a.q.pointer, rows: T * H, n: hd, eps: c.rmsEps) }
                if let kn = w.kNorm { Kernels.rmsNorm(a.k.pointer, kn.pointer, a.k.pointer, rows: T * c.nKVHeads, n: hd, eps: c.rmsEps) }
                ropeForward(ropes[l], a.q.pointer, rows: T, heads: H, positions: pos)
                ropeForward(ropes[l], a.k.pointer, rows: T, heads: c.nKVHeads, positions: pos)
                for i in 0..<H {
                    BLAS.gemmNT(m: T, n: T, k: hd, alpha: c.queryScale, a: a.q.pointer + i * hd, lda: c.qDim,
                                b: a.k.pointer + (i / c.headsPerKV) * hd, ldb: c.kvDim, c: a.scores.pointer + i * plane, ldc: T)
                }
                for i in 0..<H { for q in 0..<T { for kk in 0..<T where !visible(l, q, kk) { a.scores[i * plane + q * T + kk] = -.infinity } } }
                a.probs.pointer.update(from: a.scores.pointer, count: H * plane)
                softmaxForward(a.probs.pointer, rows: H * T, n: T)
            }
            // context_i = P_i·V_g(i), then W^O
            for i in 0..<H {
                BLAS.gemmNN(m: T, n: hd, k: T, a: a.probs.pointer + i * plane, lda: T, b: a.v.pointer + (i / c.headsPerKV) * hd,
                            ldb: c.kvDim, c: a.ctx.pointer + i * hd, ldc: c.qDim)
            }
            linear(l, .o, x: a.ctx, w: w.wo, bias: nil, y: a.o, inDim: c.qDim, outDim: d, T: T)
            let on = FloatBuffer(count: T * d)                 // [T, d] post-normed attention output
            if let pn = w.postAttnNorm { Kernels.rmsNorm(a.o.pointer, pn.pointer, on.pointer, rows: T, n: d, eps: c.rmsEps) }
            else { on.pointer.update(from: a.o.pointer, count: T * d) }
            Kernels.add(x.pointer, on.pointer, count: T * d)
            a.x2.pointer.update(from: x.pointer, count: T * d)
            // FFN: down(act(gate·h) ⊙ up·h)
            Kernels.rmsNorm(x.pointer, w.ffnNorm.pointer, a.h2.pointer, rows: T, n: d, eps: c.rmsEps)
            linear(l, .gate, x: a.h2, w: w.wGate, bias: nil, y: a.gate, inDim: d, outDim: c.nFF, T: T)
            linear(l, .up, x: a.h2, w: w.wUp, bias: nil, y: a.up, inDim: d, outDim: c.nFF, T: T)
            a.act.pointer.update(from: a.gate.pointer, count: T * c.nFF)
            Kernels.gatedActivation(a.act.pointer, a.up.pointer, count: T * c.nFF, gelu: c.activation == .geluTanh)
            linear(l, .down, x: a.act, w: w.wDown, bias: nil, y: a.f, inDim: c.nFF, outDim: d, T: T)
            if let pn = w.postFFNNorm { Kernels.rmsNorm(a.f.pointer, pn.pointer, on.pointer, rows: T, n: d, eps: c.rmsEps) }
            else { on.pointer.update(from: a.f.pointer, count: T * d) }
            Kernels.add(x.pointer, on.pointer, count: T * d)
        }
        // final norm and LM head (Gemma 3 has no final logit soft-capping; none of the three archs does)
        xFinal = x
        normedFinal = FloatBuffer(count: T * d)
        Kernels.rmsNorm(x.pointer, W.outputNorm.pointer, normedFinal.pointer, rows: T, n: d, eps: c.rmsEps)
        logits = FloatBuffer(count: T * c.vocabSize)
        W.output.forward(normedFinal.pointer, m: T, into: logits.pointer, mode: .exact)
    }
}
