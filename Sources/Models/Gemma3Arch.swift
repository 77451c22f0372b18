import GGUF

/// Gemma 3 (../shared/oracles/ATTENTION.md and README.md, gemma3 sections):
/// embeddings × √d_model; Q/K RMS-norm per head; pre- and post-norms around attention and FFN;
/// GELU-tanh gated FFN; Q scaled by 1/√head_dim (query_pre_attn_scalar = 256 for this family);
/// sliding window on local layers (RoPE base 10 000), every 6th layer global (base from the GGUF);
/// tied output embedding. Norm weights in the GGUF already include the +1: they are used as stored.
enum Gemma3Arch {
    /// Layer il is global when il % period == period − 1 (llama.cpp `set_swa_pattern(6)`).
    static let slidingPeriod = 6
    static let localRopeBase: Float = 10_000

    static func config(from f: GGUFFile) throws -> ModelConfig {
        var c = try ModelConfig.base(from: f, arch: .gemma3)
        c.embedScale = Float(c.nEmbd).squareRoot()
        c.hasQKNorm = true
        c.hasPostNorms = true
        c.activation = .geluTanh
        if let s = f.metadata["gemma3.attention.query_pre_attn_scalar"]?.double { c.queryScale = 1 / Float(s).squareRoot() }
        c.ropeBaseLocal = Float((try? f.archDouble("rope.freq_base_swa")) ?? Double(localRopeBase))
        if let w = try? f.archInt("attention.sliding_window"), w > 0 {
            c.slidingWindow = w
            let period = (try? f.archInt("attention.sliding_window_pattern")) ?? slidingPeriod
            c.isSlidingLayer = (0..<c.nLayers).map { $0 % period < period - 1 }
        }
        return c
    }
}
