import Basics
import Foundation
import Models
import Numerics

/// Options of the local KD phase (each LiSA layer fed the original model's H and A_{n−1}; KD loss only).
public struct LiSATrainOptions: Codable, Equatable, Sendable {
    public var ffn: AlignFFNKind = .dl
    public var hidden = 256
    /// nil: round(d_k / 6.4), even.
    public var rank: Int? = nil
    public var useRoPE = true
    /// Table 7's "align only" ablation: W^LR_Q starts at zero and W^LR is frozen, so A_Δ = 0 throughout and
    /// only the alignment FFN trains (nil or false: both parts train).
    public var alignOnly: Bool? = nil
    public var huberDelta: Float = 1
    public var seed: UInt64 = 0
    public var optimizer = AdamW.Settings()
    public init() {}
}

/// The local KD phase of LiSA training (eq 5 with the Huber loss of eq 8), one optimizer over all LiSA layers.
public final class LocalKDTrainer {
    public let model: Transformer
    public let sharing: SharingConfig
    public let options: LiSATrainOptions
    public let layers: [LiSALayer]
    public let optimizer: AdamW
    let grads: [LiSAParams]
    let flatGrads: [FloatBuffer]
    /// Extra `__metadata__` entries (e.g. the phase plan of `lisa train --phase both`); not checked on load.
    public var extraMetadata: [String: String] = [:]
    /// When set, joint steps add their time per phase to it (`lisa bench train`).
    public var stepProfile: TrainStepProfile?

    public init(model: Transformer, sharing: SharingConfig, options: LiSATrainOptions) {
        self.model = model; self.sharing = sharing; self.options = options
        layers = sharing.lisaLayers.map {
            LiSALayer(
                index: $0.index, source: $0.source ?? $0.index - 1, config: model.config, rank: options.rank,
                ffn: options.ffn,
                hidden: options.hidden, useRoPE: options.useRoPE)
        }
        let alignOnly = options.alignOnly ?? false
        for L in layers {
            L.params.initialize(seed: options.seed &* 1_000_003 &+ UInt64(L.index))
            if alignOnly { L.params.lowRankQ.zero() }
        }
        grads = layers.map { $0.params.zeroLike() }
        let named = layers.flatMap { $0.params.tensors }
        flatGrads = grads.flatMap { $0.tensors.map(\.buffer) }
        optimizer = AdamW(
            params: named.map(\.buffer), decay: named.map { $0.shape.count == 2 },
            frozen: named.map { alignOnly && ($0.name == "wq_lr" || $0.name == "wk_lr") }, settings: options.optimizer)
    }

    /// Parameters the optimizer updates (all but W^LR in the align-only ablation).
    public var trainableParameterCount: Int {
        zip(optimizer.params, optimizer.frozen).reduce(0) { $0 + ($1.1 ? 0 : $1.0.count) }
    }

    /// Checkpoint names of the trainable tensors, in optimizer order.
    public var tensorNames: [(name: String, buffer: FloatBuffer, shape: [Int])] {
        layers.flatMap { L in L.params.tensors.map { ("layers.\(L.index).\($0.name)", $0.buffer, $0.shape) } }
    }

    /// L_KD (eq 5) on a batch of token sequences: mean over LiSA layers of the Huber loss averaged over each
    /// layer's visible (h, a, b) entries, averaged over sequences. With `update`, backpropagates and (with `apply`)
    /// steps; `apply: false` leaves the gradients in place for `dumpStep` (StepDump.swift).
    @discardableResult
    public func step(batch: [[Int]], update: Bool = true, apply: Bool = true) throws -> Double {
        for g in flatGrads { g.zero() }
        var total = 0.0
        let scale = 1 / Float(batch.count * layers.count)
        for tokens in batch {
            let teacher = try TeacherCapture.run(model, tokens: tokens, layers: layers)
            for (k, L) in layers.enumerated() {
                let T = tokens.count, acts = LiSAActs(layer: L, T: T)
                let input = teacher.attentionInput(layer: L.index, model: model)
                let prev = teacher.scores[L.source]!, target = teacher.scores[L.index]!
                let dScores = FloatBuffer(count: L.heads * T * T)  // [h, T, T]
                // the buffers must outlive the raw pointers handed out below
                defer { withExtendedLifetime((input, prev, target, dScores, acts)) {} }
                lisaAttentionForward(L, input: input.pointer, prevScores: prev.pointer, acts: acts)
                let n = L.heads * T * T
                let (sum, count) = huberForward(
                    acts.scores.pointer, target.pointer, count: n, delta: options.huberDelta)
                total += sum / Double(count)
                guard update else { continue }
                huberBackward(
                    acts.scores.pointer, target.pointer, count: n, delta: options.huberDelta,
                    scale: scale / Float(count), da: dScores.pointer)
                lisaAttentionBackward(
                    L, input: input.pointer, prevScores: prev.pointer, acts: acts, dScores: dScores.pointer,
                    grads: grads[k], dPrevScores: nil, dInput: nil)
            }
        }
        if update && apply { optimizer.update(grads: flatGrads) }
        return total / Double(batch.count * layers.count)
    }

    // MARK: checkpoints

    func metadata(modelSHA: String) -> [String: String] {
        return [
            "format": "lisa-local-kd-v1", "sharing": sharing.json, "rank": String(layers[0].rank),
            "ffn": options.ffn.rawValue, "hidden": String(options.hidden), "rope": String(options.useRoPE),
            "base_model_sha256": modelSHA, "step": String(optimizer.step),
            "options": CanonicalJSON.string(options), "method": "lisa",
            "align_only": String(options.alignOnly ?? false),
        ]
        .merging(extraMetadata) { a, _ in a }
    }

    /// Parameters plus AdamW moments (`adam.m.*`, `adam.v.*`) and the step, so `load` resumes exactly.
    public func save(to url: URL, modelSHA: String) throws {
        try TrainerCheckpoint.save(tensorNames, optimizer: optimizer, metadata: metadata(modelSHA: modelSHA), to: url)
    }

    /// Restores parameters, moments and step; refuses a checkpoint of another base model or configuration.
    public func load(from url: URL, modelSHA: String) throws {
        // checkpoints written before the align-only ablation have no align_only entry: they trained both parts
        try TrainerCheckpoint.load(
            tensorNames, optimizer: optimizer, from: url, modelSHA: modelSHA, mine: metadata(modelSHA: modelSHA),
            mustMatch: ["sharing", "rank", "ffn", "hidden", "rope", "align_only"], defaults: ["align_only": "false"])
    }
}
