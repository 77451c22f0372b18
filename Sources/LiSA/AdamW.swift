import Foundation
import Numerics

/// AdamW (decoupled weight decay, bias-corrected moments) over a list of tensors, with global-norm
/// gradient clipping and a linear warm-up followed by cosine decay to 0.
public final class AdamW {
    public struct Settings: Codable, Equatable, Sendable {
        public var lr: Float = 3e-4
        public var beta1: Float = 0.9, beta2: Float = 0.999, eps: Float = 1e-8
        public var weightDecay: Float = 0.1
        public var clipNorm: Float = 1.0
        public var warmupSteps = 0
        public var totalSteps = 1
        public init() {}
    }
    public let settings: Settings
    public let params: [FloatBuffer]
    /// Whether each tensor is decayed (matrices yes, biases no, as in the HF Trainer).
    public let decay: [Bool]
    /// Tensors left untouched (no update, no decay): Table 7's "align only" ablation freezes W^LR.
    public let frozen: [Bool]
    public let m: [FloatBuffer], v: [FloatBuffer]
    /// Number of updates done.
    public var step = 0

    public init(params: [FloatBuffer], decay: [Bool], frozen: [Bool]? = nil, settings: Settings) {
        self.params = params; self.decay = decay; self.settings = settings
        self.frozen = frozen ?? Array(repeating: false, count: params.count)
        m = params.map { FloatBuffer(count: $0.count) }; v = params.map { FloatBuffer(count: $0.count) }
    }

    /// The learning rate of update `s` (0-based).
    public func learningRate(at s: Int) -> Float {
        let st = settings
        if s < st.warmupSteps { return st.lr * Float(s + 1) / Float(st.warmupSteps) }
        let span = max(1, st.totalSteps - st.warmupSteps)
        let t = min(1, Double(s - st.warmupSteps) / Double(span))
        return st.lr * Float(0.5 * (1 + cos(Double.pi * t)))
    }

    /// Clips the gradients to the global norm and applies one update. Returns the pre-clip norm.
    @discardableResult
    public func update(grads: [FloatBuffer]) -> Double {
        let st = settings
        var sq = 0.0
        for (k, g) in grads.enumerated() where !frozen[k] { for i in 0..<g.count { sq += Double(g[i]) * Double(g[i]) } }
        let norm = sq.squareRoot()
        let clip: Float = norm > Double(st.clipNorm) && st.clipNorm > 0 ? Float(Double(st.clipNorm) / norm) : 1
        let lr = learningRate(at: step)
        step += 1
        let bc1 = 1 - pow(st.beta1, Float(step)), bc2 = 1 - pow(st.beta2, Float(step))
        for (k, p) in params.enumerated() where !frozen[k] {
            let g = grads[k].pointer, mk = m[k].pointer, vk = v[k].pointer, w = p.pointer
            let wd = decay[k] ? st.weightDecay : 0
            for i in 0..<p.count {
                let gi = g[i] * clip
                mk[i] = st.beta1 * mk[i] + (1 - st.beta1) * gi
                vk[i] = st.beta2 * vk[i] + (1 - st.beta2) * gi * gi
                let mh = mk[i] / bc1, vh = vk[i] / bc2
                w[i] -= lr * (mh / (vh.squareRoot() + st.eps) + wd * w[i])
            }
        }
        return norm
    }
}
