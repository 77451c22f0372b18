import GGUF

/// The architectures the forward pass knows; each has one file describing its specifics.
public enum Architecture: String, CaseIterable, Sendable, Codable {
    case llama, qwen2, gemma3
    public static var supportedNames: [String] { allCases.map(\.rawValue) }
}

public enum FFNActivation: String, Sendable, Codable { case silu, geluTanh }

/// Hyper-parameters plus the per-architecture switches the one Transformer reads.
public struct ModelConfig: Sendable, Codable, Equatable {
    public var arch: Architecture
    public var nLayers: Int
    public var nEmbd: Int
    public var nHeads: Int
    public var nKVHeads: Int
    public var headDim: Int
    public var nFF: Int
    public var vocabSize: Int
    public var contextLength: Int
    public var rmsEps: Float
    /// RoPE base for global (full-attention) layers.
    public var ropeBase: Float
    /// RoPE base for sliding-window layers (gemma3: 10 000).
    public var ropeBaseLocal: Float
    /// Sliding window size (keys visible including the query itself); nil = none.
    public var slidingWindow: Int?
    /// Per layer: true when the layer uses the sliding window.
    public var isSlidingLayer: [Bool]
    /// Factor applied to token embeddings (gemma3: √d_model, others 1).
    public var embedScale: Float
    /// Factor applied to Q before QKᵀ (1/√head_dim, or 1/√query_pre_attn_scalar).
    public var queryScale: Float
    /// NeoX-style RoPE (qwen2, gemma3) or interleaved pairs (llama GGUFs).
    public var ropeNeox: Bool
    public var hasQKNorm: Bool
    public var hasPostNorms: Bool
    public var hasQKVBias: Bool
    public var activation: FFNActivation
    /// True when the LM head reuses token_embd (no output.weight).
    public var tiedOutput: Bool

    public var qDim: Int { nHeads * headDim }
    public var kvDim: Int { nKVHeads * headDim }
    public var headsPerKV: Int { nHeads / nKVHeads }
    public func ropeBase(layer: Int) -> Float { isSlidingLayer[layer] ? ropeBaseLocal : ropeBase }

    /// Reads the config of a GGUF model, dispatching to the architecture's own file. Every hyper-parameter is
    /// range-checked (and checked against the tensor shapes) before anything is sized by it.
    public static func read(from f: GGUFFile) throws -> ModelConfig {
        let name = f.architecture ?? "(none)"
        guard let arch = Architecture(rawValue: name) else {
            throw ModelError.unsupportedArchitecture(path: f.path, arch: name)
        }
        var c = try base(from: f, arch: arch)
        var slidingPattern: Int?
        switch arch {
        case .llama: try LlamaArch.configure(&c, from: f)
        case .qwen2: try Qwen2Arch.configure(&c, from: f)
        case .gemma3: slidingPattern = try Gemma3Arch.configure(&c, from: f)
        }
        try c.validate(path: f.path)
        try c.checkTensorShapes(f)
        c.isSlidingLayer = (0..<c.nLayers).map { l in slidingPattern.map { l % $0 < $0 - 1 } ?? false }
        return c
    }

    /// Hyper-parameters common to every architecture (`<arch>.*` keys). Allocates nothing sized by them:
    /// `isSlidingLayer` is filled in by `read` after validation.
    static func base(from f: GGUFFile, arch: Architecture) throws -> ModelConfig {
        let nEmbd = try f.archInt("embedding_length")
        let nHeads = try f.archInt("attention.head_count")
        let nKV = try f.archIntIfPresent("attention.head_count_kv") ?? nHeads
        let headDim = try f.archIntIfPresent("attention.key_length") ?? (nHeads > 0 ? nEmbd / nHeads : 0)
        let nLayers = try f.archInt("block_count")
        let vocab: Int
        if let v = try f.archIntIfPresent("vocab_size") {
            vocab = v
        } else if let toks = f.metadata["tokenizer.ggml.tokens"]?.array {
            vocab = toks.count
        } else if let t = f.tensor("token_embd.weight"), t.dims.count == 2 {
            vocab = t.dims[1]
        } else {
            throw GGUFError.missingKey(path: f.path, key: "\(arch.rawValue).vocab_size")
        }
        let ropeBase = Float(try f.archDoubleIfPresent("rope.freq_base") ?? 10000)
        return ModelConfig(
            arch: arch, nLayers: nLayers, nEmbd: nEmbd, nHeads: nHeads, nKVHeads: nKV, headDim: headDim,
            nFF: try f.archInt("feed_forward_length"), vocabSize: vocab,
            contextLength: try f.archIntIfPresent("context_length") ?? 4096,
            rmsEps: Float(try f.archDoubleIfPresent("attention.layer_norm_rms_epsilon") ?? 1e-6),
            ropeBase: ropeBase, ropeBaseLocal: ropeBase,
            slidingWindow: nil, isSlidingLayer: [],
            embedScale: 1, queryScale: 1 / Float(max(headDim, 1)).squareRoot(),
            ropeNeox: arch != .llama, hasQKNorm: false, hasPostNorms: false, hasQKVBias: false, activation: .silu,
            tiedOutput: f.tensor("output.weight") == nil)
    }

    /// Upper bounds far above any real model, low enough that nothing sized by them can exhaust memory.
    static let maxLayers = 1024, maxWidth = 1 << 16, maxFF = 1 << 20, maxVocab = 1 << 22, maxContext = 1 << 24

    func validate(path: String) throws {
        func bad(_ k: String, _ r: String) -> ModelError {
            .badHyperParameter(path: path, key: "\(arch.rawValue).\(k)", reason: r)
        }
        func range(_ k: String, _ v: Int, _ r: ClosedRange<Int>) throws {
            guard r.contains(v) else { throw bad(k, "is \(v), expected \(r.lowerBound) to \(r.upperBound)") }
        }
        func positive(_ k: String, _ v: Float, below upper: Float = .infinity) throws {
            guard v.isFinite, v > 0, v < upper else {
                throw bad(
                    k, "is \(v), expected a finite number above 0" + (upper.isFinite ? " and below \(upper)" : ""))
            }
        }
        try range("block_count", nLayers, 1...Self.maxLayers)
        try range("embedding_length", nEmbd, 1...Self.maxWidth)
        try range("attention.head_count", nHeads, 1...1024)
        try range("attention.head_count_kv", nKVHeads, 1...nHeads)
        guard nHeads % nKVHeads == 0 else {
            throw bad("attention.head_count_kv", "is \(nKVHeads), which does not divide head_count \(nHeads)")
        }
        guard headDim > 0, headDim % 2 == 0, headDim <= 1024 else {
            throw bad("attention.key_length", "is \(headDim), expected an even size from 2 to 1024")
        }
        try range("feed_forward_length", nFF, 1...Self.maxFF)
        try range("vocab_size", vocabSize, 1...Self.maxVocab)
        try range("context_length", contextLength, 1...Self.maxContext)
        try positive("attention.layer_norm_rms_epsilon", rmsEps, below: 1)
        try positive("rope.freq_base", ropeBase)
        try positive("rope.freq_base_swa", ropeBaseLocal)
        try positive("attention.query_pre_attn_scalar", queryScale)
        if let w = slidingWindow { try range("attention.sliding_window", w, 1...Self.maxContext) }
    }

    /// Every tensor must have a type this build can dequantize. The hyper-parameters must describe the tensors the
    /// file holds: the embedding is [vocab, d_model], the first block's projections match the head layout, and the file
    /// has exactly `block_count` blocks.
    func checkTensorShapes(_ f: GGUFFile) throws {
        func expect(_ name: String, _ shape: [Int]) throws {
            guard let t = f.tensor(name) else { throw ModelError.missingTensor(path: f.path, name: name) }
            let found = Array(t.dims.reversed())
            guard found == shape else {
                throw ModelError.tensorShape(path: f.path, name: name, expected: shape, found: found)
            }
        }
        if let t = f.tensors.first(where: { !GGUFDequant.supported.contains($0.type) }) {
            let names = GGMLType.allCases.filter(GGUFDequant.supported.contains).map(\.name)
            throw ModelError.unsupportedTensorType(path: f.path, tensor: t.name, type: t.type.name, supported: names)
        }
        try expect("token_embd.weight", [vocabSize, nEmbd])
        try expect("blk.0.attn_q.weight", [qDim, nEmbd])
        try expect("blk.0.attn_k.weight", [kvDim, nEmbd])
        try expect("blk.0.ffn_up.weight", [nFF, nEmbd])
        let blocks = Set(
            f.tensors.compactMap { t -> Int? in
                guard t.name.hasPrefix("blk.") else { return nil }
                return Int(t.name.dropFirst(4).prefix { $0 != "." })
            })
        guard blocks.count == nLayers, blocks.allSatisfy({ $0 < nLayers }) else {
            throw ModelError.badHyperParameter(
                path: f.path, key: "\(arch.rawValue).block_count",
                reason:
                    "is \(nLayers) but the file holds tensors of \(blocks.count) blocks (blk.0 to "
                    + "blk.\((blocks.max() ?? -1)))"
            )
        }
    }
}
