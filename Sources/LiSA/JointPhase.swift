import Foundation
import Models
import Numerics

/// Loss parts of one training step (means over the batch).
public struct LossParts: Sendable {
    public var total: Double, kd: Double, lm: Double
    public init(total: Double, kd: Double, lm: Double) { self.total = total; self.kd = kd; self.lm = lm }
}

extension ModuleGrads {
    /// Accumulators for LiSA layers that already have them (LocalKDTrainer's, in layer order).
    init(lisa layers: [LiSALayer], grads: [LiSAParams]) {
        self.init(for: TrainingModules())
        for (L, g) in zip(layers, grads) { lisa[L.index] = g }
    }
}

extension LocalKDTrainer {
    /// The modules of the joint phase: the LiSA layers, plus any DS layers the sharing config lists.
    public var jointModules: TrainingModules {
        TrainingModules(
            lisa: Dictionary(uniqueKeysWithValues: layers.map { ($0.index, $0) }),
            ds: Set(sharing.layers.filter { $0.mode == .ds }.map(\.index)))
    }

    /// The joint phase (eq 7): L = β·L_KD + (1−β)·L_LM through the whole network with the LiSA layers in
    /// place. L_KD is eq 5's Huber loss between each LiSA layer's A_n (now fed the network's own H and A_{n−1})
    /// and the original model's A_n*, averaged over visible entries and LiSA layers; L_LM the mean next-token
    /// cross-entropy. With `update`, backpropagates (TrainingGraphBackward.swift) and (with `apply`) steps AdamW.
    @discardableResult
    public func jointStep(batch: [[Int]], beta: Float, update: Bool = true, apply: Bool = true) throws -> LossParts {
        for g in flatGrads { g.zero() }
        let graph = TrainingGraph(model: model, modules: jointModules)
        let mg = ModuleGrads(lisa: layers, grads: grads)
        var kdSum = 0.0, lmSum = 0.0
        let B = Float(batch.count), S = Float(layers.count)
        let prof = stepProfile
        graph.profile = prof
        for tokens in batch {
            let teacher =
                beta > 0
                ? try prof.time(.teacher) {
                    try TeacherCapture.run(model, tokens: tokens, layers: layers, entry: graph.entryLayer)
                } : nil
            // the layers below the entry are the teacher's: the forward starts from its residual stream
            let entering = graph.entryLayer.flatMap { teacher?.entering(layer: $0) }
            try prof.time(.forward) { try graph.forward(tokens, entering: entering) }
            var scoreGrads: [Int: FloatBuffer] = [:]
            prof.time(.losses) {
                lmSum += graph.lmLossAndGradient()
                if let teacher {
                    var kd = 0.0
                    for L in layers {
                        let a = graph.scores(layer: L.index), target = teacher.scores[L.index]!
                        let (sum, count) = huberForward(
                            a.pointer, target.pointer, count: a.count, delta: options.huberDelta)
                        kd += sum / Double(count)
                        let g = FloatBuffer(count: a.count)  // [h, T, T]
                        huberBackward(
                            a.pointer, target.pointer, count: a.count, delta: options.huberDelta,
                            scale: beta / (B * S * Float(count)), da: g.pointer)
                        scoreGrads[L.index] = g
                    }
                    kdSum += kd / Double(S)
                }
            }
            if update {
                prof.time(.backward) { graph.backward(lmScale: (1 - beta) / B, scoreGrads: scoreGrads, grads: mg) }
            }
        }
        if update && apply { _ = prof.time(.optimizer) { optimizer.update(grads: flatGrads) } }
        let kd = kdSum / Double(B), lm = lmSum / Double(B)
        return LossParts(total: Double(beta) * kd + Double(1 - beta) * lm, kd: kd, lm: lm)
    }
}
