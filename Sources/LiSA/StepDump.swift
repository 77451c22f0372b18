import Foundation
import Models
import Numerics

/// A diagnostic for comparing trainers (python/lisa_torch's tests, `lisa train --dump-step FILE`): one step's loss
/// parts and the gradient of every LiSA tensor, computed without updating, next to the parameters and the batch.
extension LocalKDTrainer {
    /// Writes a safetensors file: `param.<name>` and `grad.<name>` for every trainable tensor (checkpoint names),
    /// `tokens` [B, T] (ids as Float32, exact below 2²⁴) and, when given, `runtime_logits` [T, V]; `__metadata__`
    /// holds step, phase, kd, lm (nan in the local phase), total and lr (of this step), as Swift prints Doubles
    /// (shortest round-trip text).
    public func dumpStep(batch: [[Int]], joint: Bool, beta: Float, runtimeLogits: [Float]? = nil, to url: URL) throws {
        let parts: LossParts
        if joint {
            parts = try jointStep(batch: batch, beta: beta, update: true, apply: false)
        } else {
            let kd = try step(batch: batch, update: true, apply: false)
            parts = LossParts(total: kd, kd: kd, lm: .nan)
        }
        let T = batch.map(\.count).max() ?? 0
        var tokens = [Float](repeating: -1, count: batch.count * T)  // [B, T]
        for (b, seq) in batch.enumerated() { for (t, id) in seq.enumerated() { tokens[b * T + t] = Float(id) } }
        var list: [(name: String, shape: [Int], values: UnsafeBufferPointer<Float>)] = []
        for (k, t) in tensorNames.enumerated() {
            let g = flatGrads[k]
            let p = t.buffer
            list.append(("param." + t.name, t.shape, UnsafeBufferPointer(start: p.pointer, count: p.count)))
            list.append(("grad." + t.name, t.shape, UnsafeBufferPointer(start: g.pointer, count: g.count)))
        }
        let meta = [
            "step": String(optimizer.step), "phase": joint ? "joint" : "local", "kd": String(parts.kd),
            "lm": String(parts.lm), "total": String(parts.total), "beta": String(beta),
            "lr": String(optimizer.learningRate(at: optimizer.step)),
        ]
        try tokens.withUnsafeBufferPointer { tb in
            list.append(("tokens", [batch.count, T], tb))
            if let logits = runtimeLogits {
                try logits.withUnsafeBufferPointer { lb in
                    let rows = batch[0].count  // the logits are of the batch's first sequence
                    list.append(("runtime_logits", [rows, logits.count / rows], lb))
                    try Safetensors.write(list, metadata: meta, to: url)
                }
            } else {
                try Safetensors.write(list, metadata: meta, to: url)
            }
        }
        withExtendedLifetime(flatGrads) {}
    }
}

extension LiSARuntime {
    /// Logits [T, V] of `tokens` through the path `lisa eval --lisa CKPT --sharing CONFIG` takes: the checkpoint's
    /// LiSA layers as score providers, its DS layers (if any) as direct sharing.
    public static func logits(
        checkpoint url: URL, model: Transformer, modelSHA: String,
        tokens: [Int]
    ) throws -> [Float] {
        let rt = try load(checkpoint: url, model: model, modelSHA: modelSHA)
        return try model.forward(
            tokens, cache: model.makeCache(), logits: .all, policies: rt.sharing.policies,
            scoreProviders: rt.providers
        ).values
    }
}
