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

/// Activations of one decoder block kept by `TrainingGraph.forward` for the backward: the block's kept buffers
/// (`BlockBuffers.kept`, written by the one block definition, `Transformer.blockForward`), its attention planes
/// and what its modules keep.
final class BlockActs {
    let buffers: BlockBuffers
    let scores: FloatBuffer  // [h, T, T]    pre-softmax, masked −inf (A_n)
    let probs: FloatBuffer  // [h, T, T]
    var lisa: LiSAActs?
    /// LoRA intermediates x·Aᵀ per target: [T, r].
    var loraMid: [LayerLoRA.Target: FloatBuffer] = [:]

    init(c: ModelConfig, T: Int) {
        buffers = .kept(config: c, T: T)
        scores = FloatBuffer(count: c.nHeads * T * T); probs = FloatBuffer(count: c.nHeads * T * T)
    }
    var planes: AttentionPlanes { (scores, probs) }
    // the kept activations by the names the backward uses (shapes in BlockBuffers)
    var xIn: FloatBuffer { buffers.xIn! }
    var h1: FloatBuffer { buffers.h1 }
    var q0: FloatBuffer { buffers.q0 }
    var q: FloatBuffer { buffers.q }
    var k0: FloatBuffer { buffers.k0 }
    var k: FloatBuffer { buffers.k }
    var v: FloatBuffer { buffers.v }
    var ctx: FloatBuffer { buffers.ctx }
    var o: FloatBuffer { buffers.o }
    var x2: FloatBuffer { buffers.x2! }
    var h2: FloatBuffer { buffers.h2 }
    var gate: FloatBuffer { buffers.gate }
    var up: FloatBuffer { buffers.up }
    var act: FloatBuffer { buffers.act }
    var f: FloatBuffer { buffers.f }
}

/// A LiSA layer as the block's score provider during training: positions 0..<T of one sequence, keeping its
/// activations for `lisaAttentionBackward`.
final class LiSATrainingScores: LayerScoreProvider {
    let layer: LiSALayer
    private(set) var acts: LiSAActs?
    init(_ layer: LiSALayer) { self.layer = layer }
    func scores(
        layer n: Int, input: UnsafePointer<Float>, T: Int, p0: Int, prevScores: UnsafePointer<Float>, S: Int,
        into scores: UnsafeMutablePointer<Float>
    ) {
        precondition(p0 == 0 && S == T && n == layer.index, "a training forward runs positions 0..<T of one sequence")
        let a = LiSAActs(layer: layer, T: T)
        lisaAttentionForward(layer, input: input, prevScores: prevScores, acts: a)
        scores.update(from: a.scores.pointer, count: layer.heads * T * T)
        acts = a
    }
    func observe(layer: Int, input: UnsafePointer<Float>, T: Int, p0: Int) {}
    func reset() { acts = nil }
}

/// Full-sequence forward of the base model with `modules` in place (positions 0..<T, a fresh cache), keeping
/// what the hand-written backward (TrainingGraphBackward.swift) needs. Each layer runs the model's own block
/// (Models/TransformerLayer.swift) with kept buffers, so inference and training share one definition.
public final class TrainingGraph {
    public let model: Transformer
    public let modules: TrainingModules
    let ropes: [RoPE]
    var blocks: [BlockActs] = []
    var xFinal = FloatBuffer(count: 0)  // [T, d]   last block's output
    var normedFinal = FloatBuffer(count: 0)  // [T, d]   after the final RMSNorm
    public private(set) var logits = FloatBuffer(count: 0)  // [T, V]
    /// Where the LM head's products are timed (`lisa bench train`), if attached.
    public var profile: TrainStepProfile?
    public private(set) var tokens: [Int] = []

    public init(model: Transformer, modules: TrainingModules) {
        self.model = model; self.modules = modules
        let c = model.config
        ropes = (0..<c.nLayers).map { RoPE(dims: c.headDim, base: c.ropeBase(layer: $0), neox: c.ropeNeox) }
    }

    /// Scores of layer `l` (A_l) after the last forward: [h, T, T], masked entries −inf.
    public func scores(layer l: Int) -> FloatBuffer { blocks[l].scores }

    /// The layer the forward may start at from a residual stream computed elsewhere (the teacher's), or nil: the
    /// layer below the first module (its planes are the A_{n−1} a LiSA or DS layer reads and its backward needs).
    /// Every layer below computes exactly what the original model does.
    /// Only where the model's own forward computes what this graph does: exact products (or Float32 weights) and a
    /// Float32 cache, as `lisa train` loads the model.
    public var entryLayer: Int? {
        let exact = model.productMode == .exact || !model.weights.matrices.contains { $0.isQuantized }
        guard exact, model.kvElement == .f32, let first = modules.first, first >= 2 else { return nil }
        return first - 1
    }

    /// Runs the network on `tokens` and fills `logits` [T, V]. `entering` (layer `entryLayer`, the residual stream
    /// entering it, [T, d]) skips the layers below, which are the original model's: given the teacher's stream (the
    /// same products and cache element, so the same bits — tested), the logits and gradients are unchanged.
    public func forward(_ tokens: [Int], entering: (layer: Int, x: FloatBuffer)? = nil) throws {
        let c = model.config, W = model.weights
        let T = tokens.count, d = c.nEmbd
        guard T >= 2 else { throw CheckpointError.config("A training sequence needs at least 2 tokens, got \(T).") }
        guard T <= c.contextLength else { throw ModelError.promptTooLong(tokens: T, context: c.contextLength) }
        for t in tokens where t < 0 || t >= c.vocabSize { throw ModelError.tokenOutOfRange(id: t, vocab: c.vocabSize) }
        self.tokens = tokens
        let x = FloatBuffer(count: T * d)  // [T, d] residual stream
        var l0 = 0
        if let entering {
            guard entering.layer == entryLayer, entering.x.count == T * d else {
                throw CheckpointError.config(
                    "The training forward can enter at layer \(entryLayer.map(String.init) ?? "none") with [\(T), \(d)], "
                        + "got layer \(entering.layer) with \(entering.x.count) values.")
            }
            x.pointer.update(from: entering.x.pointer, count: T * d)
            l0 = entering.layer
        } else {
            for (i, t) in tokens.enumerated() { model.embed(token: t, into: x.pointer + i * d) }
        }
        blocks = (0..<c.nLayers).map { BlockActs(c: c, T: $0 < l0 ? 0 : T) }  // layers below l0 keep nothing
        // this sequence's K/V, Float32 as the backward reads them
        let cache = model.makeCache(reserve: T, element: .f32)
        for l in l0..<c.nLayers {
            let a = blocks[l]
            let provider = modules.lisa[l].map(LiSATrainingScores.init)
            // direct sharing, head for head: A_l = A_{l−1}, P_l = P_{l−1}
            let policy: AttentionPolicy = modules.ds.contains(l) ? .directShare(headMap: nil) : .standard
            try model.blockForward(
                l, x: x, buffers: a.buffers, cache: cache, cur: a.planes, prev: l > 0 ? blocks[l - 1].planes : a.planes,
                policy: policy, provider: provider, adapter: modules.lora.isEmpty ? nil : self, mode: .exact)
            a.lisa = provider?.acts
        }
        // final norm and LM head (Gemma 3 has no final logit soft-capping; none of the three archs does)
        xFinal = x
        normedFinal = FloatBuffer(count: T * d)
        Kernels.rmsNorm(x.pointer, W.outputNorm.pointer, normedFinal.pointer, rows: T, n: d, eps: c.rmsEps)
        // [T, V] is the largest buffer of a step (512 MiB for Gemma at T = 512): the product writes every entry,
        // so it is neither zeroed nor allocated again for the next sequence of the same length
        if logits.count != T * c.vocabSize { logits = FloatBuffer(count: T * c.vocabSize, zeroed: false) }
        profile.time(.lmHeadForward) { W.output.forward(normedFinal.pointer, m: T, into: logits.pointer, mode: .exact) }
    }
}

extension TrainingGraph: LinearAdapter {
    /// DS_LoRA: y += B·(A·x) on the adapted maps of layer l, keeping A·x for the backward.
    public func adapt(
        layer l: Int, target: LinearTarget, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, rows: Int
    ) {
        guard let t = LayerLoRA.Target(rawValue: target.rawValue), let ad = modules.lora[l]?[t] else { return }
        let mid = FloatBuffer(count: rows * ad.rank)  // [T, r]
        ad.forward(x: x, mid: mid.pointer, y: y, rows: rows)
        blocks[l].loraMid[t] = mid
    }
}
