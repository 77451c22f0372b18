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

    /// Reads the config of a GGUF model, dispatching to the architecture's own file.
    public static func read(from f: GGUFFile) throws -> ModelConfig {
        let name = f.architecture ?? "(none)"
        guard let arch = Architecture(rawValue: name) else {
            throw ModelError.unsupportedArchitecture(path: f.path, arch: name)
        }
        var c: ModelConfig
        switch arch {
        case .llama: c = try LlamaArch.config(from: f)
        case .qwen2: c = try Qwen2Arch.config(from: f)
        case .gemma3: c = try Gemma3Arch.config(from: f)
        }
        try c.validate(path: f.path)
        return c
    }

    /// Hyper-parameters common to every architecture (`<arch>.*` keys).
    static func base(from f: GGUFFile, arch: Architecture) throws -> ModelConfig {
        let nEmbd = try f.archInt("embedding_length")
        let nHeads = try f.archInt("attention.head_count")
        let nKV = (try? f.archInt("attention.head_count_kv")) ?? nHeads
        let headDim = (try? f.archInt("attention.key_length")) ?? (nHeads > 0 ? nEmbd / nHeads : 0)
        let nLayers = try f.archInt("block_count")
        let vocab: Int
        if let v = try? f.archInt("vocab_size") { vocab = v }
        else if case let .array(_, toks)? = f.metadata["tokenizer.ggml.tokens"] { vocab = toks.count }
        else if let t = f.tensor("token_embd.weight"), t.dims.count == 2 { vocab = t.dims[1] }
        else { throw GGUFError.missingKey(path: f.path, key: "\(arch.rawValue).vocab_size") }
        return ModelConfig(
            arch: arch, nLayers: nLayers, nEmbd: nEmbd, nHeads: nHeads, nKVHeads: nKV, headDim: headDim,
            nFF: try f.archInt("feed_forward_length"), vocabSize: vocab,
            contextLength: (try? f.archInt("context_length")) ?? 4096,
            rmsEps: Float((try? f.archDouble("attention.layer_norm_rms_epsilon")) ?? 1e-6),
            ropeBase: Float((try? f.archDouble("rope.freq_base")) ?? 10000),
            ropeBaseLocal: Float((try? f.archDouble("rope.freq_base")) ?? 10000),
            slidingWindow: nil, isSlidingLayer: Array(repeating: false, count: max(nLayers, 0)),
            embedScale: 1, queryScale: 1 / Float(headDim).squareRoot(),
            ropeNeox: arch != .llama, hasQKNorm: false, hasPostNorms: false, hasQKVBias: false, activation: .silu,
            tiedOutput: f.tensor("output.weight") == nil)
    }

    func validate(path: String) throws {
        func bad(_ k: String, _ r: String) -> ModelError { .badHyperParameter(path: path, key: "\(arch.rawValue).\(k)", reason: r) }
        guard (1...1024).contains(nLayers) else { throw bad("block_count", "is \(nLayers), expected 1 to 1024") }
        guard nEmbd > 0, nEmbd <= 1 << 16 else { throw bad("embedding_length", "is \(nEmbd)") }
        guard nHeads > 0, nHeads <= 1024 else { throw bad("attention.head_count", "is \(nHeads)") }
        guard nKVHeads > 0, nHeads % nKVHeads == 0 else {
            throw bad("attention.head_count_kv", "is \(nKVHeads), which does not divide head_count \(nHeads)")
        }
        guard headDim > 0, headDim % 2 == 0, headDim <= 1024 else { throw bad("attention.key_length", "is \(headDim), expected an even size") }
        guard nFF > 0 else { throw bad("feed_forward_length", "is \(nFF)") }
        guard vocabSize > 0 else { throw bad("vocab_size", "is \(vocabSize)") }
        guard contextLength > 0 else { throw bad("context_length", "is \(contextLength)") }
    }
}
