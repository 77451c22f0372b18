"""A tiny random-weight Gemma 3 GGUF written with gguf-py (an independent writer from the Swift one in
Sources/TestSupport/TinyModel.swift, same shapes and tokenizer layout), so that the Swift `lisa` binary and the
Hugging Face loader (`gguf_file=`) read the very same file."""
from __future__ import annotations

import numpy as np


def write_tiny_gemma3(path: str, *, n_layers: int = 6, d: int = 64, heads: int = 4, kv_heads: int = 2,
                      head_dim: int = 16, ff: int = 96, vocab: int = 300, context: int = 256, window: int = 8,
                      seed: int = 1, quantize: bool = True) -> None:
    """Layers 0-4 sliding (window `window`), layer 5 global (llama.cpp's period-6 pattern). 2-D matrices are
    Q8_0 when `quantize` (both loaders dequantize them exactly), norms F32 and stored with Gemma's +1, as
    convert_hf_to_gguf writes them."""
    import gguf

    rng = np.random.default_rng(seed)
    w = gguf.GGUFWriter(path, "gemma3")
    a = "gemma3"
    w.add_string("general.name", "tiny-gemma3-torch")
    for k, v in [("block_count", n_layers), ("embedding_length", d), ("feed_forward_length", ff),
                 ("attention.head_count", heads), ("attention.head_count_kv", kv_heads),
                 ("attention.key_length", head_dim), ("attention.value_length", head_dim),
                 ("context_length", context), ("attention.sliding_window", window)]:
        w.add_uint32(f"{a}.{k}", v)
    w.add_float32(f"{a}.attention.layer_norm_rms_epsilon", 1e-6)
    w.add_float32(f"{a}.rope.freq_base", 1_000_000.0)
    tokens = ["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(256)]
    pieces = ["\u2581the", "\u2581a", "\u2581of", "\u2581and", "th", "he", "in", "er", "an", "\u2581t"]
    i = 0
    while len(tokens) < vocab:
        tokens.append(pieces[i] if i < len(pieces) else f"\u2581w{i}")
        i += 1
    w.add_string("tokenizer.ggml.model", "llama")
    w.add_token_list(tokens)
    w.add_token_scores([0.0 if j < 259 else -float(j) for j in range(vocab)])
    w.add_token_types([3 if j < 3 else (6 if j < 259 else 1) for j in range(vocab)])
    w.add_uint32("tokenizer.ggml.bos_token_id", 1)
    w.add_uint32("tokenizer.ggml.eos_token_id", 2)
    w.add_uint32("tokenizer.ggml.unknown_token_id", 0)
    w.add_bool("tokenizer.ggml.add_bos_token", True)

    def matrix(name: str, rows: int, cols: int, scale: float = 0.3) -> None:
        m = (rng.uniform(-1, 1, size=(rows, cols)) * scale).astype(np.float32)
        if quantize:
            q = gguf.quants.quantize(m, gguf.GGMLQuantizationType.Q8_0)
            w.add_tensor(name, q, raw_dtype=gguf.GGMLQuantizationType.Q8_0)
        else:
            w.add_tensor(name, m)

    def norm(name: str, n: int) -> None:
        w.add_tensor(name, (1 + 0.2 * rng.uniform(-1, 1, size=n)).astype(np.float32))

    matrix("token_embd.weight", vocab, d, scale=1.0)
    norm("output_norm.weight", d)
    q, kv = heads * head_dim, kv_heads * head_dim
    for l in range(n_layers):
        p = f"blk.{l}."
        norm(p + "attn_norm.weight", d)
        matrix(p + "attn_q.weight", q, d)
        matrix(p + "attn_k.weight", kv, d)
        matrix(p + "attn_v.weight", kv, d)
        matrix(p + "attn_output.weight", d, q)
        norm(p + "ffn_norm.weight", d)
        matrix(p + "ffn_gate.weight", ff, d)
        matrix(p + "ffn_up.weight", ff, d)
        matrix(p + "ffn_down.weight", d, ff)
        norm(p + "attn_q_norm.weight", head_dim)
        norm(p + "attn_k_norm.weight", head_dim)
        norm(p + "post_attention_norm.weight", d)
        norm(p + "post_ffw_norm.weight", d)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
