import Foundation
import Models
import Numerics

/// Captures, from one forward of the original model (the teacher), what the local KD phase needs:
/// each requested layer's pre-softmax scores (A_n* and A_{n−1}) and residual-stream output.
public final class TeacherCapture: AttentionTap, ResidualTap {
    public let scoreLayers: Set<Int>
    public let residualLayers: Set<Int>
    public private(set) var scores: [Int: FloatBuffer] = [:]  // layer → [h, T, T]
    public private(set) var residual: [Int: FloatBuffer] = [:]  // layer → [T, d]

    public init(scoreLayers: Set<Int>, residualLayers: Set<Int>) {
        self.scoreLayers = scoreLayers; self.residualLayers = residualLayers
    }

    public func attention(_ e: AttentionEvent) {
        guard scoreLayers.contains(e.layer) else { return }
        let n = e.heads * e.qLen * e.kLen
        let b = FloatBuffer(count: n, zeroed: false)
        b.pointer.update(from: e.scores, count: n)
        scores[e.layer] = b
    }

    public func layerOutput(layer: Int, x: UnsafePointer<Float>, rows: Int, dim: Int) {
        guard residualLayers.contains(layer) else { return }
        let b = FloatBuffer(count: rows * dim, zeroed: false)
        b.pointer.update(from: x, count: rows * dim)
        residual[layer] = b
    }

    /// The residual stream entering layer n (layer n−1's output, [T, d]), when it was kept.
    public func entering(layer n: Int) -> (layer: Int, x: FloatBuffer)? { residual[n - 1].map { (n, $0) } }

    /// The attention input H of layer n (its pre-attention RMSNorm of layer n−1's output): [T, d].
    public func attentionInput(layer n: Int, model: Transformer) -> FloatBuffer {
        let c = model.config, x = residual[n - 1]!, T = x.count / c.nEmbd
        let h = FloatBuffer(count: T * c.nEmbd, zeroed: false)
        Kernels.rmsNorm(
            x.pointer, model.weights.layers[n].attnNorm.pointer, h.pointer, rows: T, n: c.nEmbd, eps: c.rmsEps)
        return h
    }

    /// Runs the teacher (standard attention, no logits) on `tokens` through the last layer the LiSA layers need, and
    /// captures for them (the layers above would compute nothing the KD targets use).
    /// `entry`: also keep the residual stream entering that layer (the training forward's `entryLayer`).
    public static func run(
        _ model: Transformer, tokens: [Int], layers: [LiSALayer], entry: Int? = nil
    ) throws -> TeacherCapture {
        let cap = TeacherCapture(
            scoreLayers: Set(layers.flatMap { [$0.index, $0.source] }),
            residualLayers: Set(layers.map { $0.index - 1 } + (entry.map { [$0 - 1] } ?? [])))
        let last = cap.scoreLayers.union(cap.residualLayers).max() ?? 0
        try model.runLayers(tokens, through: max(0, last), cache: model.makeCache(), tap: cap, residualTap: cap)
        return cap
    }
}
