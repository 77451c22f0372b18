import GGUF

/// Qwen2: llama plus Q/K/V biases, NeoX RoPE, separate output head when `output.weight` exists.
enum Qwen2Arch {
    static func config(from f: GGUFFile) throws -> ModelConfig {
        var c = try ModelConfig.base(from: f, arch: .qwen2)
        c.hasQKVBias = true
        c.activation = .silu
        return c
    }
}
