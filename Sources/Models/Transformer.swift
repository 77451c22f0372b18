import Foundation
import GGUF
import Numerics

/// Which positions of a forward call get logits.
public enum LogitRows: Equatable, Sendable {
    case none, last, all
    case range(Range<Int>)
}

/// Logits for some rows of a forward call: values [rows, vocab].
public struct Logits: Sendable {
    public let rows: Int
    public let vocab: Int
    public let firstRow: Int
    public let values: [Float]
    public func row(_ i: Int) -> ArraySlice<Float> { values[(i * vocab)..<((i + 1) * vocab)] }
    public var last: ArraySlice<Float> { row(rows - 1) }
}

/// The one decoder-only Transformer. Per-architecture behaviour comes from `ModelConfig`
/// (set by LlamaArch, Qwen2Arch, Gemma3Arch). Attention is explicit — scores → mask → softmax → P·V —
/// because the workbench must see it.
public final class Transformer: @unchecked Sendable {
    public let config: ModelConfig
    public let weights: ModelWeights
    /// RoPE per layer (gemma3 uses a different base on sliding-window layers).
    let ropes: [RoPE]
    /// Debug: check activations after every op and report the first NaN/Inf.
    public var checkFinite = false

    public init(config: ModelConfig, weights: ModelWeights) {
        self.config = config
        self.weights = weights
        ropes = (0..<config.nLayers).map {
            RoPE(dims: config.headDim, base: config.ropeBase(layer: $0), neox: config.ropeNeox)
        }
    }

    /// Reads config and weights from a GGUF file: matrices in their GGUF blocks (`.quantized`, the default) or
    /// dequantized to Float32 (`.f32`, the exact oracle path).
    public convenience init(gguf f: GGUFFile, weights format: WeightFormat = .quantized) throws {
        let c = try ModelConfig.read(from: f)
        self.init(config: c, weights: try ModelWeights.load(from: f, config: c, format: format))
    }

    /// The KV element type of new caches (F32 unless set; `LoadedModel` sets F16 for quantized weights, llama.cpp's
    /// default and the paper's §5.2 element size; `--kv` chooses).
    public var kvElement: KVElement = .f32
    /// How products with quantized weights compute: `.integer` (8-bit activations, every row alone, so results do
    /// not depend on how tokens are grouped into calls — evaluation, generation) or `.exact` (dequantized tiles and
    /// sgemm: the Float32 path's numbers — study captures). Float32 weights ignore it.
    public var productMode: ProductMode = .integer
    /// When set, forward calls add their time per op class to it (`lisa bench decode-step`, `bench prefill`).
    public var profile: OpProfile?

    /// A new, empty cache (element type `element`, else `kvElement`).
    public func makeCache(reserve: Int = 0, element: KVElement? = nil) -> KVCache {
        KVCache(config: config, reserve: reserve, element: element ?? kvElement)
    }

    /// Runs `tokens` at positions cache.count ..< cache.count + tokens.count, appending to the cache.
    /// `nfPrefill` (§5.2 "NF"): layers with a score provider run their standard attention for this call (their
    /// K serves this call only and is not kept) and the providers only record their per-position state
    /// (`LayerScoreProvider.observe`); later calls without the flag use the providers. Needs an empty cache.
    public func forward(
        _ tokens: [Int], cache: KVCache, logits: LogitRows = .last,
        policies: AttentionPolicies = AttentionPolicies(), tap: AttentionTap? = nil,
        residualTap: ResidualTap? = nil, scoreProviders: LayerScoreProviders = [:],
        nfPrefill: Bool = false
    ) throws -> Logits {
        try forwardBatch(
            [tokens], caches: [cache], logits: logits, policies: policies, tap: tap, residualTap: residualTap,
            scoreProviders: [scoreProviders], nfPrefill: nfPrefill)[0]
    }

    /// B sequences of equal length run together — prompts (T > 1) at equal cache positions, decoding steps (T = 1)
    /// at any positions (batched generation of documents of different lengths): every linear layer (and the LM head)
    /// runs once on the B·T stacked rows, so the weights are read once per call (a gemm in place of B gemv's);
    /// attention runs per sequence on its own cache and score providers (`scoreProviders[b]`, or none when the
    /// list is empty). Returns one `Logits` per sequence. `tap` sees the sequences' attention in batch order;
    /// `residualTap` sees the B·T stacked rows.
    public func forwardBatch(
        _ batch: [[Int]], caches: [KVCache], logits: LogitRows = .last,
        policies: AttentionPolicies = AttentionPolicies(), tap: AttentionTap? = nil,
        residualTap: ResidualTap? = nil, scoreProviders: [LayerScoreProviders] = [],
        nfPrefill: Bool = false
    ) throws -> [Logits] {
        let x = try runBlocks(
            batch, caches: caches, policies: policies, tap: tap, residualTap: residualTap,
            scoreProviders: scoreProviders, nfPrefill: nfPrefill)
        return try lmHead(x: x, B: batch.count, T: batch[0].count, rows: logits)
    }

    /// Runs `tokens` like `forward` and returns the final-normed hidden rows [T, d] instead of logits, so that the
    /// LM head can run once over rows gathered from several calls (`logits(normed:rows:)`).
    public func forwardNormed(
        _ tokens: [Int], cache: KVCache, policies: AttentionPolicies = AttentionPolicies(),
        scoreProviders: LayerScoreProviders = [:]
    ) throws -> [Float] {
        let x = try runBlocks(
            [tokens], caches: [cache], policies: policies, tap: nil, residualTap: nil,
            scoreProviders: [scoreProviders], nfPrefill: false)
        let T = tokens.count, d = config.nEmbd
        var out = [Float](repeating: 0, count: T * d)  // [T, d]
        out.withUnsafeMutableBufferPointer { o in
            Kernels.rmsNorm(x.pointer, weights.outputNorm.pointer, o.baseAddress!, rows: T, n: d, eps: config.rmsEps)
        }
        return out
    }

    /// Logits [n, vocab] of n final-normed rows [n, d]: one LM-head product for all of them.
    public func logits(normed: [Float], rows n: Int) throws -> [Float] {
        let V = config.vocabSize
        precondition(normed.count == n * config.nEmbd, "normed rows [n, d] expected")
        var out = [Float](repeating: 0, count: n * V)  // [n, vocab]
        guard n > 0 else { return out }
        normed.withUnsafeBufferPointer { x in
            out.withUnsafeMutableBufferPointer { o in
                weights.output.forward(x.baseAddress!, m: n, into: o.baseAddress!, mode: productMode)
            }
        }
        if checkFinite { try BlockBuffers.checkFinite(out, layer: config.nLayers, op: "logits", rowWidth: V) }
        return out
    }

    /// The decoder blocks of a forward call: returns the residual stream x [B·T, d] after the last block (caches
    /// advanced by T).
    /// Runs layers 0...last on `tokens` (no final norm, no logits), for taps that need only those layers (the LiSA
    /// teacher's A_n*): each layer computes exactly what `forward` computes there. The cache holds the run layers.
    public func runLayers(
        _ tokens: [Int], through last: Int, cache: KVCache, tap: AttentionTap? = nil, residualTap: ResidualTap? = nil
    ) throws {
        guard (0..<config.nLayers).contains(last) else {
            throw ModelError.badPolicy(layer: last, reason: "the model has layers 0..<\(config.nLayers)")
        }
        _ = try runBlocks(
            [tokens], caches: [cache], policies: AttentionPolicies(), tap: tap, residualTap: residualTap,
            scoreProviders: [], nfPrefill: false, layerCount: last + 1)
    }

    func runBlocks(
        _ batch: [[Int]], caches: [KVCache], policies: AttentionPolicies, tap: AttentionTap?,
        residualTap: ResidualTap?, scoreProviders: [LayerScoreProviders], nfPrefill: Bool, layerCount: Int? = nil
    ) throws -> FloatBuffer {
        let c = config, B = batch.count
        guard B > 0 else { throw ModelError.badBatch(reason: "it holds no sequence") }
        guard caches.count == B else { throw ModelError.badBatch(reason: "\(B) sequences but \(caches.count) caches") }
        guard Set(caches.map(ObjectIdentifier.init)).count == B else {
            throw ModelError.badBatch(reason: "two sequences share one cache")
        }
        guard scoreProviders.isEmpty || scoreProviders.count == B else {
            throw ModelError.badBatch(reason: "\(B) sequences but \(scoreProviders.count) sets of score providers")
        }
        let T = batch[0].count, p0s = caches.map(\.count), S = p0s.max()! + T  // S: the most visible keys
        guard T > 0 else { throw ModelError.emptyPrompt }
        guard batch.allSatisfy({ $0.count == T }) else {
            throw ModelError.badBatch(reason: "the sequences must have equal lengths")
        }
        guard T == 1 || Set(p0s).count == 1 else {
            throw ModelError.badBatch(
                reason:
                    "prompts of several tokens must start at equal cache positions (decoding steps of one token may "
                    + "differ)"
            )
        }
        guard S <= c.contextLength else { throw ModelError.promptTooLong(tokens: S, context: c.contextLength) }
        for t in batch.joined() where t < 0 || t >= c.vocabSize {
            throw ModelError.tokenOutOfRange(id: t, vocab: c.vocabSize)
        }
        if !policies.isAllStandard { try policies.validate(nLayers: c.nLayers, nHeads: c.nHeads) }
        let providers: [LayerScoreProviders] = scoreProviders.isEmpty ? Array(repeating: [:], count: B) : scoreProviders
        for l in providers.flatMap(\.keys) where !(1..<c.nLayers).contains(l) {
            throw ModelError.badPolicy(
                layer: l, reason: "a score provider needs a previous layer: layers 1..<\(c.nLayers)")
        }
        if nfPrefill, let p0 = p0s.first(where: { $0 != 0 }), providers.contains(where: { !$0.isEmpty }) {
            throw ModelError.badBatch(
                reason:
                    "NF prefill runs the providers' layers with standard attention and needs an empty cache, found "
                    + "\(p0) cached positions"
            )
        }

        let d = c.nEmbd, H = c.nHeads
        let x = FloatBuffer(count: B * T * d, zeroed: false)  // [B·T, d] residual stream, sequence-major
        for (i, t) in batch.joined().enumerated() { embed(token: t, into: x.pointer + i * d) }
        let s = BlockBuffers.shared(config: c, B: B, T: T, S: S)
        func planes() -> [AttentionPlanes] {  // per sequence b: scores, probs [H, T, S_b], S_b = p0s[b] + T
            p0s.map { p0 in
                (
                    FloatBuffer(count: H * T * (p0 + T), zeroed: false),
                    FloatBuffer(count: H * T * (p0 + T), zeroed: false)
                )
            }
        }
        var cur = planes(), prev = planes()

        for l in 0..<(layerCount ?? c.nLayers) {
            try layerForward(
                l, x: x, s: s, caches: caches, p0s: p0s, cur: cur, prev: prev,
                policy: policies[l], tap: tap, providers: providers.map { $0[l] }, nfPrefill: nfPrefill)
            residualTap?.layerOutput(layer: l, x: x.pointer, rows: B * T, dim: d)
            swap(&cur, &prev)
        }
        for cache in caches { cache.advance(by: T) }
        return x
    }

    /// x[d] = the token's embedding row · embedScale (gemma3 scales by √d).
    public func embed(token t: Int, into x: UnsafeMutablePointer<Float>) {
        let c = config
        weights.tokenEmbedding.row(t, into: x)
        if c.embedScale != 1 { for j in 0..<c.nEmbd { x[j] *= c.embedScale } }
    }

    /// Final norm and LM head for the requested rows of each of the B sequences (one gemm for all of them).
    func lmHead(x: FloatBuffer, B: Int, T: Int, rows: LogitRows) throws -> [Logits] {
        let c = config, d = c.nEmbd, V = c.vocabSize
        let range: Range<Int>
        switch rows {
        case .none: return Array(repeating: Logits(rows: 0, vocab: V, firstRow: 0, values: []), count: B)
        case .last: range = (T - 1)..<T
        case .all: range = 0..<T
        case let .range(r): range = r.clamped(to: 0..<T)
        }
        let n = range.count
        let normed = FloatBuffer(count: B * n * d, zeroed: false)  // [B·n, d]
        var out = [Float](repeating: 0, count: B * n * V)  // [B·n, vocab]
        timed(.lmHead) {
            for b in 0..<B {
                Kernels.rmsNorm(
                    x.pointer + (b * T + range.lowerBound) * d, weights.outputNorm.pointer, normed.pointer + b * n * d,
                    rows: n, n: d, eps: c.rmsEps)
            }
            out.withUnsafeMutableBufferPointer { o in
                weights.output.forward(normed.pointer, m: B * n, into: o.baseAddress!, mode: productMode)
            }
        }
        if checkFinite { try BlockBuffers.checkFinite(out, layer: c.nLayers, op: "logits", rowWidth: V) }
        if B == 1 { return [Logits(rows: n, vocab: V, firstRow: range.lowerBound, values: out)] }
        return (0..<B).map { b in
            Logits(rows: n, vocab: V, firstRow: range.lowerBound, values: Array(out[(b * n * V)..<((b + 1) * n * V)]))
        }
    }
}
