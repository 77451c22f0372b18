import Foundation
import Models
import Numerics

/// Bytes a generation run of B sequences needs: the weights as held (GGUF blocks or Float32), each sequence's caches
/// (K, K_LR, V — the §5.2 terms) and the largest transient buffers of a step. Used to pick the largest batch that
/// fits a memory budget (paper Table 4: "maximum batch size under a fixed memory budget").
///
/// The run it describes is the one `lisa bench generate` times: sequences prefilled one at a time, then decoded
/// together (`Transformer.forwardBatch`), so the prefill transients are one sequence's and the decode transients
/// B sequences'.
public struct MemoryPlan: Sendable {
    public let config: ModelConfig
    /// Model weights plus the LiSA layers' parameters.
    public let weightBytes: Int
    /// LiSA layers (index), their rank r and alignment-FFN width F; empty for the baseline.
    public let lisaLayers: Set<Int>
    public let rank: Int, ffnHidden: Int
    /// NF (§5.2): the prompt runs with standard attention in the LiSA layers (their K held for one layer at a time).
    public let nf: Bool
    /// Bytes per K and V element, and per K_LR element (F16 2, F32 4).
    public let kvBytes: Int, lowRankBytes: Int

    public init(model: Transformer, lisa: LiSARuntime? = nil, nf: Bool = false) {
        config = model.config
        kvBytes = model.kvElement.bytes
        lowRankBytes = lisa?.layers.first?.element.bytes ?? model.kvElement.bytes
        self.nf = nf && lisa != nil
        let w = model.weights
        let lisaLayers = lisa?.layers.map(\.layer) ?? []
        let lisaParams = lisaLayers.reduce(0) { $0 + $1.params.tensors.reduce(0) { $0 + $1.buffer.count } }
        weightBytes = w.byteCount + lisaParams * 4
        self.lisaLayers = Set(lisaLayers.map(\.index))
        rank = lisaLayers.first?.rank ?? 0
        ffnHidden = lisaLayers.first?.params.alignFFN.hidden ?? 0
    }

    /// One layer's cache bytes for one sequence of `positions` tokens: (K, K_LR, V).
    public func cacheBytes(layer l: Int, positions: Int) -> (k: Int, lowRankK: Int, v: Int) {
        let c = config, v = positions * c.kvDim * kvBytes
        if lisaLayers.contains(l) { return (0, positions * c.nKVHeads * rank * lowRankBytes, v) }
        return (positions * c.kvDim * kvBytes, 0, v)
    }

    /// All layers' cache bytes for one sequence of `positions` tokens.
    public func cacheBytes(positions: Int) -> Int {
        (0..<config.nLayers).reduce(0) { t, l in
            let b = cacheBytes(layer: l, positions: positions); return t + b.k + b.lowRankK + b.v
        }
    }

    /// Per-row activation scratch of a forward call (h, q, k, v, ctx, o, gate, up).
    func scratchBytes(rows: Int) -> Int {
        let c = config
        return rows * (2 * c.nEmbd + 2 * c.qDim + 2 * c.kvDim + 2 * c.nFF) * 4
    }

    /// Largest transient of a LiSA layer's score call for T query rows and S keys (one sequence; Q_LR, A_Δ, the
    /// visible-entry index, and per FFN chunk its input/output and hidden pre-activation and activation).
    /// NF prefill (T = S) instead holds one layer's standard K for the prompt and K_LR rows being appended.
    func lisaScoreBytes(T: Int, S: Int) -> Int {
        guard !lisaLayers.isEmpty else { return 0 }
        let c = config, h = c.nHeads, r = rank
        if nf, T == S { return T * c.kvDim * 4 + T * c.nKVHeads * r * 4 }
        let N = T == S ? T * (T + 1) / 2 : T * S, chunk = min(N, LiSARuntimeLayer.ffnChunk)
        return (T * h * r + h * T * S) * 4 + N * 8 + chunk * (2 * h + h + 2 * ffnHidden) * 4
    }

    /// Transient bytes of prefilling one sequence of P tokens: scratch, the score and probability planes of the
    /// current and previous layer (4·h·P², the §5.2 "h×l×l" term), a LiSA layer's score call, one logits row.
    public func prefillTransientBytes(prompt P: Int) -> Int {
        let c = config
        return scratchBytes(rows: P) + 4 * c.nHeads * P * P * 4 + lisaScoreBytes(T: P, S: P) + c.vocabSize * 4 * 2
    }

    /// Transient bytes of one decoding step of B sequences with S positions each: scratch, the planes of every
    /// sequence (4·h·S each: the §5.2 "h×l" score rows), one LiSA score call, B logits rows (kept and split).
    public func decodeTransientBytes(batch B: Int, positions S: Int) -> Int {
        let c = config
        return scratchBytes(rows: B) + B * 4 * c.nHeads * S * 4 + lisaScoreBytes(T: 1, S: S) + B * c.vocabSize * 4 * 2
    }

    /// Weights + B sequences' caches at their final length + the larger of the prefill and decode transients.
    public func totalBytes(batch B: Int, prompt P: Int, generated G: Int) -> Int {
        let S = P + G
        return weightBytes + B * cacheBytes(positions: S)
            + max(prefillTransientBytes(prompt: P), decodeTransientBytes(batch: B, positions: S))
    }

    /// The largest B ≥ 1 with `totalBytes(B) ≤ budget`, or nil when not even one sequence fits.
    public func largestBatch(budget: Int, prompt P: Int, generated G: Int, limit: Int = 4096) -> Int? {
        guard totalBytes(batch: 1, prompt: P, generated: G) <= budget else { return nil }
        var b = 1
        while b < limit, totalBytes(batch: b + 1, prompt: P, generated: G) <= budget { b += 1 }
        return b
    }
}
