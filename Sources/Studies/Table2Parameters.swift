import Basics
import Foundation
import LiSA
import Models

// Table 2's parameter columns (FIGURES.md Table 2, checked there against LLaMA3-8B's 0.70 / 3.74 / 4.44 % and
// LLaMA2-7B's 1.33 / 7.14 %). Per LiSA layer: removed = d·h·d_k + d·h_kv·d_k (W^Q, W^K); added = d·h·r + d·h_kv·r
// (the low-rank Q and K) + the FFN over the head axis (DL 2h → F → h: 2h·F + F + F·h + h; SL 2h → h: 2h·h + h).
// Trained % = Σ added / N_total; saved % = Σ (removed − added) / N_total, DS layers counting their full removal.

/// The attention shape the columns need: model width d, query heads h, KV heads h_kv, head size d_k.
public struct AttentionShape: Sendable, Equatable {
    public var d: Int, h: Int, hKV: Int, dK: Int
    public init(d: Int, h: Int, hKV: Int, dK: Int) { self.d = d; self.h = h; self.hKV = hKV; self.dK = dK }
}

/// The size of the FFN a LiSA layer aligns the previous layer's scores with (Fig 7, Appendix C.1).
public enum AlignFFNSize: Sendable, Equatable {
    /// Deep: 2h → F → h.
    case dl(hidden: Int)
    /// Shallow: one linear map 2h → h.
    case sl

    public func parameters(heads h: Int) -> Int {
        switch self {
        case .dl(let f): return 2 * h * f + f + f * h + h
        case .sl: return 2 * h * h + h
        }
    }
}

/// W^Q and W^K of one layer: what DS removes, and what a LiSA layer replaces.
public func removedPerLayer(_ s: AttentionShape) -> Int { s.d * s.h * s.dK + s.d * s.hKV * s.dK }

/// What one LiSA layer adds: the low-rank Q and K (rank r) and its FFN.
public func addedPerLiSALayer(_ s: AttentionShape, rank r: Int, ffn: AlignFFNSize) -> Int {
    s.d * s.h * r + s.d * s.hKV * r + ffn.parameters(heads: s.h)
}

/// Trained and saved shares (%) of a model with `total` parameters: `ds` DS layers, `lisa` LiSA layers.
public func parameterColumns(
    _ s: AttentionShape, total: Int, ds: Int, lisa: Int = 0, rank: Int = 0, ffn: AlignFFNSize = .sl
) -> (trained: Double, saved: Double) {
    let added = lisa * addedPerLiSALayer(s, rank: rank, ffn: ffn)
    let removed = (ds + lisa) * removedPerLayer(s)
    return (100 * Double(added) / Double(total), 100 * Double(removed - added) / Double(total))
}

/// Table 2's columns of a `lisa train` checkpoint (LiSA, LiSA_SL, DS_LoRA, the ablations) on a model of `total`
/// parameters: what it adds is the parameters it stores (not the AdamW moments `adam.*`), all of them trained
/// except W^LR in the align-only ablation (`align_only`); every layer its sharing config shares removes W^Q and W^K.
/// Counting the stored tensors, not a formula of rank and FFN, covers every FFN kind and LoRA target set alike.
public func checkpointColumns(
    metadata: [String: String], tensorCounts: [String: Int], shape s: AttentionShape, total: Int, path: String
) throws -> ParameterShares {
    guard let sj = metadata["sharing"],
        let sharing = try? CanonicalJSON.decoder().decode(SharingConfig.self, from: Data(sj.utf8))
    else {
        throw CheckpointError.malformed(path: path, reason: "the sharing config in __metadata__ cannot be decoded")
    }
    let stored = tensorCounts.filter { !$0.key.hasPrefix("adam.") }
    let added = stored.values.reduce(0, +)
    let frozen = metadata["align_only"] == "true"
        ? stored.filter { $0.key.hasSuffix(".wq_lr") || $0.key.hasSuffix(".wk_lr") }.values.reduce(0, +) : 0
    let removed = sharing.shared.count * removedPerLayer(s)
    return ParameterShares(
        trained: 100 * Double(added - frozen) / Double(total), saved: 100 * Double(removed - added) / Double(total))
}
