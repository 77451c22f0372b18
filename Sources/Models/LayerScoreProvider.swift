/// A seam for attention mechanisms implemented outside Models (LiSA, Fig 7): the provider computes a
/// layer's pre-softmax scores; the layer then applies its own mask and softmax, P·V and W^O as usual.
///
/// A layer with a provider computes no Q/K projections and stores no K in the `KVCache` (its V is cached
/// as usual). Attach providers per layer with `Transformer.forward(…, scoreProviders:)` or
/// `Transformer.generate(…, scoreProviders:)`. A provider may keep its own per-position state (e.g. a
/// low-rank K cache); it is called with query positions p0 ..< p0 + T, where p0 is the KVCache's count,
/// so it can drop state past p0 (after `KVCache.truncate` or with a fresh cache) before appending.
public protocol LayerScoreProvider: AnyObject {
    /// - input: [T, d] the layer's attention input (after its pre-attention norm) for query rows p0 ..< p0+T.
    /// - prevScores: [H, T, S] layer n−1's final (effective) pre-softmax scores, masked with −inf.
    /// - scores: [H, T, S] output, pre-softmax A_n. Entries outside the layer's mask may hold anything:
    ///   the layer sets them to −inf afterwards.
    func scores(
        layer: Int, input: UnsafePointer<Float>, T: Int, p0: Int,
        prevScores: UnsafePointer<Float>, S: Int, into scores: UnsafeMutablePointer<Float>)
    /// NF prefill (§5.2): the layer ran its standard attention for rows p0 ..< p0+T; the provider only records
    /// its per-position state for them (LiSA: the low-rank keys) so that later calls can use its scores.
    /// - input: [T, d] the layer's attention input, as in `scores`.
    func observe(layer: Int, input: UnsafePointer<Float>, T: Int, p0: Int)
    /// Forgets all per-position state (start of a new sequence).
    func reset()
}

/// Score providers by layer index (layers not listed run their `AttentionPolicy`).
public typealias LayerScoreProviders = [Int: any LayerScoreProvider]
