/// Where the memory of one forward call goes (`lisa bench prefill`, `lisa inspect --memory`): the weights as held,
/// the K/V cache of `tokens` positions, the per-call activation scratch and the attention score planes.
public struct MemoryBreakdown: Sendable {
    /// Weight matrices (mapped GGUF blocks or Float32) and Float32 vectors.
    public let weights: Int
    /// K and V of every layer for `tokens` positions, in the model's K/V element type.
    public let kv: Int
    /// h, q, k, v, ctx, o, gate, up rows of the call and one logits row.
    public let scratch: Int
    /// Scores and probabilities of the current and previous layer: 4 planes [H, T, T].
    public let scorePlanes: Int
    public let tokens: Int
    public var total: Int { weights + kv + scratch + scorePlanes }

    /// The breakdown of a prefill of `tokens` tokens with logits of the last row.
    public init(model t: Transformer, tokens T: Int) {
        let c = t.config
        self.tokens = T
        weights = t.weights.byteCount
        kv = c.nLayers * T * c.kvDim * 2 * t.kvElement.bytes
        scratch = T * (2 * c.nEmbd + 2 * c.qDim + 2 * c.kvDim + 2 * c.nFF) * 4 + c.vocabSize * 4
        scorePlanes = 4 * c.nHeads * T * T * 4
    }

    /// One line per part, MiB.
    public var lines: [String] {
        func mib(_ b: Int) -> String { String(format: "%8.1f MiB", Double(b) / 1_048_576) }
        return [
            "weights      \(mib(weights))", "K/V cache    \(mib(kv))  (\(tokens) positions)",
            "scratch      \(mib(scratch))", "score planes \(mib(scorePlanes))", "total        \(mib(total))",
        ]
    }
}
