import GGUF

/// Qwen2: llama plus Q/K/V biases, NeoX RoPE, separate output head when `output.weight` exists.
enum Qwen2Arch {
    static func configure(_ c: inout ModelConfig, from f: GGUFFile) throws {
        c.hasQKVBias = true
        c.activation = .silu
    }
}
