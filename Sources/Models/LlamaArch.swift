import GGUF

/// LLaMA 2/3, Mistral: RMSNorm, RoPE (NeoX-style rotation here is a deliberate choice, see below),
/// SiLU-gated FFN, GQA, no biases, separate or tied output head.
///
/// Note: GGUF llama files store Q/K rows permuted by the converter so that llama.cpp's "normal"
/// (interleaved-pair) RoPE applies; this implementation rotates interleaved pairs for llama.
enum LlamaArch {
    static func configure(_ c: inout ModelConfig, from f: GGUFFile) throws {
        c.activation = .silu
    }
}
