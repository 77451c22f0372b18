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
        ropes = (0..<config.nLayers).map { RoPE(dims: config.headDim, base: config.ropeBase(layer: $0), neox: config.ropeNeox) }
    }

    /// Reads config and weights (dequantized to Float32) from a GGUF file.
    public convenience init(gguf f: GGUFFile) throws {
        let c = try ModelConfig.read(from: f)
        self.init(config: c, weights: try ModelWeights.load(from: f, config: c))
    }

    public func makeCache(reserve: Int = 0) -> KVCache { KVCache(config: config, reserve: reserve) }

    /// Runs `tokens` at positions cache.count ..< cache.count + tokens.count, appending to the cache.
    public func forward(_ tokens: [Int], cache: KVCache, logits: LogitRows = .last,
                        policies: AttentionPolicies = AttentionPolicies(), tap: AttentionTap? = nil,
                        residualTap: ResidualTap? = nil, scoreProviders: LayerScoreProviders = [:]) throws -> Logits {
        let c = config
        let T = tokens.count, p0 = cache.count, S = p0 + T
        guard T > 0 else { throw ModelError.emptyPrompt }
        guard S <= c.contextLength else { throw ModelError.promptTooLong(tokens: S, context: c.contextLength) }
        for t in tokens where t < 0 || t >= c.vocabSize { throw ModelError.tokenOutOfRange(id: t, vocab: c.vocabSize) }
        if !policies.isAllStandard { try policies.validate(nLayers: c.nLayers, nHeads: c.nHeads) }
        for l in scoreProviders.keys where !(1..<c.nLayers).contains(l) {
            throw ModelError.badPolicy(layer: l, reason: "a score provider needs a previous layer: layers 1..<\(c.nLayers)")
        }

        let d = c.nEmbd, H = c.nHeads, hd = c.headDim
        let x = FloatBuffer(count: T * d, zeroed: false)              // [T, d] residual stream
        for (i, t) in tokens.enumerated() {
            let src = weights.tokenEmbedding.pointer + t * d
            for j in 0..<d { x.pointer[i * d + j] = src[j] * c.embedScale }
        }
        let positions = Array(p0..<S)
        let s = Scratch(config: c, T: T, S: S)
        var cur = (scores: FloatBuffer(count: H * T * S, zeroed: false), probs: FloatBuffer(count: H * T * S, zeroed: false))
        var prev = (scores: FloatBuffer(count: H * T * S, zeroed: false), probs: FloatBuffer(count: H * T * S, zeroed: false))

        for l in 0..<c.nLayers {
            try layerForward(l, x: x, s: s, cache: cache, positions: positions, p0: p0,
                             cur: cur, prev: prev, policy: policies[l], tap: tap, provider: scoreProviders[l])
            residualTap?.layerOutput(layer: l, x: x.pointer, rows: T, dim: d)
            swap(&cur, &prev)
        }
        cache.advance(by: T)
        return try lmHead(x: x, T: T, rows: logits)
    }

    /// Final norm and LM head for the requested rows.
    func lmHead(x: FloatBuffer, T: Int, rows: LogitRows) throws -> Logits {
        let c = config, d = c.nEmbd
        let range: Range<Int>
        switch rows {
        case .none: return Logits(rows: 0, vocab: c.vocabSize, firstRow: 0, values: [])
        case .last: range = (T - 1)..<T
        case .all: range = 0..<T
        case let .range(r): range = r.clamped(to: 0..<T)
        }
        let n = range.count
        let normed = FloatBuffer(count: n * d, zeroed: false)          // [n, d]
        Kernels.rmsNorm(x.pointer + range.lowerBound * d, weights.outputNorm.pointer, normed.pointer, rows: n, n: d, eps: c.rmsEps)
        var out = [Float](repeating: 0, count: n * c.vocabSize)       // [n, vocab]
        out.withUnsafeMutableBufferPointer { o in
            BLAS.gemmNT(m: n, n: c.vocabSize, k: d, a: normed.pointer, lda: d, b: weights.output.pointer, ldb: d,
                        c: o.baseAddress!, ldc: c.vocabSize)
        }
        if checkFinite { try Scratch.checkFinite(out, layer: c.nLayers, op: "logits", rowWidth: c.vocabSize) }
        return Logits(rows: n, vocab: c.vocabSize, firstRow: range.lowerBound, values: out)
    }
}

/// Per-call scratch buffers (shapes for T query rows and S visible keys).
final class Scratch {
    let h: FloatBuffer       // [T, d]   normed input of a sub-block
    let q: FloatBuffer       // [T, nHeads·headDim]
    let k: FloatBuffer       // [T, nKV·headDim]
    let v: FloatBuffer       // [T, nKV·headDim]
    let ctx: FloatBuffer     // [T, nHeads·headDim]
    let o: FloatBuffer       // [T, d]
    let gate: FloatBuffer    // [T, nFF]
    let up: FloatBuffer      // [T, nFF]
    let T: Int, S: Int

    init(config c: ModelConfig, T: Int, S: Int) {
        self.T = T; self.S = S
        h = FloatBuffer(count: T * c.nEmbd, zeroed: false)
        q = FloatBuffer(count: T * c.qDim, zeroed: false)
        k = FloatBuffer(count: T * c.kvDim, zeroed: false)
        v = FloatBuffer(count: T * c.kvDim, zeroed: false)
        ctx = FloatBuffer(count: T * c.qDim, zeroed: false)
        o = FloatBuffer(count: T * c.nEmbd, zeroed: false)
        gate = FloatBuffer(count: T * c.nFF, zeroed: false)
        up = FloatBuffer(count: T * c.nFF, zeroed: false)
    }

    static func checkFinite(_ p: UnsafePointer<Float>, count: Int, layer: Int, op: String, rowWidth: Int) throws {
        for i in 0..<count where !p[i].isFinite {
            throw ModelError.nonFinite(layer: layer, op: op, position: i / max(rowWidth, 1))
        }
    }
    static func checkFinite(_ a: [Float], layer: Int, op: String, rowWidth: Int) throws {
        try a.withUnsafeBufferPointer { try checkFinite($0.baseAddress!, count: a.count, layer: layer, op: op, rowWidth: rowWidth) }
    }
}
