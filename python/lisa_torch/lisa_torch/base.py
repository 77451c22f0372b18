"""The frozen base model: a Hugging Face causal LM loaded from the same GGUF file the Swift workbench runs
(`gguf_file=`, dequantized by gguf-py) or from a safetensors folder, with the GGUF semantics the Swift engine
applies (Models/Gemma3Arch.swift) where transformers' GGUF reader differs:
- Gemma 3's Q scale is 1/√query_pre_attn_scalar with the GGUF key when present, else 1/√head_dim (llama.cpp);
  transformers' default is 256, which only equals it for head_dim 256.
- the sliding layers' RoPE base is `rope.freq_base_swa` when present, else 10 000."""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

import torch


class BaseModelError(Exception):
    """A model path or option that cannot be used, as a sentence."""


def sha256_of(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            h.update(block)
    return h.hexdigest()


def gguf_metadata(path: str, keys: list[str]) -> dict:
    """The scalar values of `keys` present in a GGUF file's metadata."""
    from gguf import GGUFReader

    reader = GGUFReader(path)
    out = {}
    for k in keys:
        f = reader.fields.get(k)
        if f is None:
            continue
        v = f.contents()
        out[k] = v
    return out


_ARCH_OF_MODEL_TYPE = {"gemma3_text": "gemma3", "gemma3": "gemma3", "llama": "llama", "qwen2": "qwen2"}


@dataclass
class BaseModel:
    hf: torch.nn.Module            # a *ForCausalLM, frozen
    arch: str                      # the workbench's arch name (gemma3, llama, qwen2)
    sha256: str                    # SHA-256 of the GGUF file `lisa eval` will run
    bos_id: int | None             # prefixed to every training window (Swift: tokenizer.ggml.bos_token_id)
    gguf_path: str | None

    @property
    def config(self):
        return self.hf.config

    @property
    def decoder_layers(self):
        return self.hf.model.layers

    @property
    def n_layers(self) -> int:
        return len(self.decoder_layers)

    def attention(self, layer: int):
        return self.decoder_layers[layer].self_attn

    def window(self, layer: int) -> int | None:
        """Layer `layer`'s sliding window (None: global causal)."""
        return getattr(self.attention(layer), "sliding_window", None)

    def rope_base(self, layer: int) -> float:
        c = self.config
        layer_type = (getattr(c, "layer_types", None) or [None] * self.n_layers)[layer]
        rp = getattr(c, "rope_parameters", None)
        if isinstance(rp, dict) and layer_type in rp:
            return float(rp[layer_type]["rope_theta"])
        if isinstance(rp, dict) and "rope_theta" in rp:
            return float(rp["rope_theta"])
        if layer_type == "sliding_attention" and hasattr(c, "rope_local_base_freq"):
            return float(c.rope_local_base_freq)
        return float(c.rope_theta)


def load_base(model: str, *, base_gguf: str | None = None, base_sha256: str | None = None,
              dtype: torch.dtype = torch.float32) -> BaseModel:
    """`model`: a .gguf file, or a Hugging Face folder (config.json + safetensors); for a folder, `base_gguf` (the
    GGUF it corresponds to, hashed) or `base_sha256` names the model checkpoints are made for."""
    if not os.path.exists(model):
        raise BaseModelError(f"There is no model at {model} (no such file or folder).")
    try:
        return _load(model, base_gguf, base_sha256, dtype)
    except BaseModelError:
        raise
    except Exception as e:      # transformers and gguf-py raise many kinds; the user gets one sentence
        why = str(e).rstrip(".")
        raise BaseModelError(f"{model} cannot be loaded as a causal LM ({type(e).__name__}: {why}).") from None


def _load(model: str, base_gguf: str | None, base_sha256: str | None, dtype: torch.dtype) -> BaseModel:
    from transformers import AutoConfig, AutoModelForCausalLM

    gguf_path = model if os.path.isfile(model) else base_gguf
    if os.path.isfile(model):
        if not model.endswith(".gguf"):
            raise BaseModelError(f"{model} is a file but not a .gguf: give a GGUF file or a Hugging Face folder.")
        folder, name = os.path.split(os.path.abspath(model))
        config = AutoConfig.from_pretrained(folder, gguf_file=name)
        arch = _ARCH_OF_MODEL_TYPE.get(config.model_type, config.model_type)
        q_scalar = _apply_gguf_semantics(config, arch, model)
        hf = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, config=config, dtype=dtype)
        if q_scalar is not None:
            for layer in hf.model.layers:
                layer.self_attn.scaling = q_scalar ** -0.5
    else:
        hf = AutoModelForCausalLM.from_pretrained(model, dtype=dtype)
        arch = _ARCH_OF_MODEL_TYPE.get(hf.config.model_type, hf.config.model_type)
    if gguf_path is not None:
        sha = sha256_of(gguf_path)
        if base_sha256 is not None and base_sha256 != sha:
            raise BaseModelError(f"--base-sha256 {base_sha256} does not match {gguf_path} (its SHA-256 is {sha}).")
    elif base_sha256 is not None:
        sha = base_sha256
    else:
        raise BaseModelError(f"{model} is a Hugging Face folder: give --base-gguf FILE or --base-sha256 HEX, the GGUF "
                             "that `lisa eval --lisa` will run the checkpoint with.")
    if arch not in ("gemma3", "llama", "qwen2"):
        raise BaseModelError(f"{model} is a {arch} model; lisa_torch supports gemma3, llama and qwen2.")
    bos = None
    if gguf_path is not None:
        bos = gguf_metadata(gguf_path, ["tokenizer.ggml.bos_token_id"]).get("tokenizer.ggml.bos_token_id")
    elif hf.config.bos_token_id is not None:
        bos = hf.config.bos_token_id
    hf.requires_grad_(False)
    hf.eval()
    return BaseModel(hf=hf, arch=arch, sha256=sha, bos_id=None if bos is None else int(bos), gguf_path=gguf_path)


def _apply_gguf_semantics(config, arch: str, path: str) -> float | None:
    """Patches `config` where the GGUF reader leaves transformers' defaults; returns Gemma 3's
    query_pre_attn_scalar (set on every attention module after loading: the config field only takes integers)."""
    if arch != "gemma3":
        return None
    md = gguf_metadata(path, ["gemma3.attention.query_pre_attn_scalar", "gemma3.rope.freq_base_swa"])
    q_scalar = float(md.get("gemma3.attention.query_pre_attn_scalar", config.head_dim))
    if q_scalar.is_integer():
        config.query_pre_attn_scalar = int(q_scalar)
    local = float(md.get("gemma3.rope.freq_base_swa", 10_000.0))
    rp = getattr(config, "rope_parameters", None)
    if isinstance(rp, dict) and "sliding_attention" in rp:
        rp["sliding_attention"]["rope_theta"] = local
    else:
        config.rope_local_base_freq = local
    return q_scalar
