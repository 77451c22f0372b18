/// One layer's attention as computed, handed to taps. Buffers are valid only during the call.
public struct AttentionEvent {
    public let layer: Int
    public let heads: Int
    /// Query rows in this call and their first absolute position.
    public let qLen: Int
    public let qStart: Int
    /// Keys visible to this call (positions 0..<kLen).
    public let kLen: Int
    /// Pre-softmax scores A (scaled, masked with -inf): [heads, qLen, kLen]. For DS layers these are
    /// the source layer's scores; for uniform layers 0 where visible.
    public let scores: UnsafePointer<Float>
    /// Softmax probabilities P: [heads, qLen, kLen].
    public let probs: UnsafePointer<Float>
    public let policy: AttentionPolicy
    /// True when a `LayerScoreProvider` computed `scores` (then `policy` is not what ran).
    public var fromProvider: Bool = false

    /// The probability row of query i (0..<qLen), head h: [kLen].
    public func probRow(head h: Int, query i: Int) -> UnsafeBufferPointer<Float> {
        UnsafeBufferPointer(start: probs + (h * qLen + i) * kLen, count: kLen)
    }
    public func scoreRow(head h: Int, query i: Int) -> UnsafeBufferPointer<Float> {
        UnsafeBufferPointer(start: scores + (h * qLen + i) * kLen, count: kLen)
    }
}

/// Sub-module outputs of one layer (the paper's Fig. 5a), for this call's query rows.
public struct SubmoduleEvent {
    public let layer: Int
    public let qLen: Int
    /// q and k are not computed on DS, uniform and score-provider layers (stale scratch there).
    public let q: UnsafePointer<Float>  // [qLen, nHeads·headDim] after norm and RoPE, before scaling
    public let k: UnsafePointer<Float>  // [qLen, nKV·headDim] after norm and RoPE
    public let v: UnsafePointer<Float>  // [qLen, nKV·headDim]
    public let context: UnsafePointer<Float>  // [qLen, nHeads·headDim] = P·V
    public let output: UnsafePointer<Float>  // [qLen, d] = context·W_Oᵀ (before any post-norm)
}

/// An observer of the forward pass. With no tap attached the forward pass does no extra work.
public protocol AttentionTap: AnyObject {
    func attention(_ event: AttentionEvent)
    /// When true, `submodules` is called for every layer (costs copies of nothing: pointers only).
    var wantsSubmodules: Bool { get }
    func submodules(_ event: SubmoduleEvent)
}

public extension AttentionTap {
    var wantsSubmodules: Bool { false }
    func submodules(_ event: SubmoduleEvent) {}
}

/// Residual-stream observer (per layer output, the `l_out-L` tensors of llama.cpp).
public protocol ResidualTap: AnyObject {
    /// x: [rows, d], the residual stream after layer `layer` for this call's rows.
    func layerOutput(layer: Int, x: UnsafePointer<Float>, rows: Int, dim: Int)
}
