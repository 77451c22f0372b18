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

    /// Sets the gemma3 switches; returns the sliding-window period (nil without a window), range-checked here
    /// because `ModelConfig.read` divides by it.
    static func configure(_ c: inout ModelConfig, from f: GGUFFile) throws -> Int? {
        c.embedScale = Float(c.nEmbd).squareRoot()
        c.hasQKNorm = true
        c.hasPostNorms = true
        c.activation = .geluTanh
        if let s = try f.archDoubleIfPresent("attention.query_pre_attn_scalar") {
            guard s.isFinite, s > 0 else {
                throw ModelError.badHyperParameter(
                    path: f.path, key: f.archKey("attention.query_pre_attn_scalar"),
                    reason: "is \(s), expected a finite number above 0")
            }
            c.queryScale = 1 / Float(s).squareRoot()
        }
        c.ropeBaseLocal = Float(try f.archDoubleIfPresent("rope.freq_base_swa") ?? Double(localRopeBase))
        guard let w = try f.archIntIfPresent("attention.sliding_window"), w > 0 else { return nil }
        c.slidingWindow = w
        let period = try f.archIntIfPresent("attention.sliding_window_pattern") ?? slidingPeriod
        guard (1...ModelConfig.maxLayers).contains(period) else {
            throw ModelError.badHyperParameter(
                path: f.path, key: f.archKey("attention.sliding_window_pattern"),
                reason: "is \(period), expected 1 to \(ModelConfig.maxLayers) (every period-th layer is global)")
        }
        return period
    }
}
