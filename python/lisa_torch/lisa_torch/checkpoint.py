"""Checkpoints in the workbench's safetensors format (Sources/LiSA/LocalTrainer.swift, DSLoRATrainer.swift
`TrainerCheckpoint`): F32 tensors `layers.<n>.<name>` with their AdamW moments `adam.m.*` / `adam.v.*`, and a
`__metadata__` header holding the sharing config, r, FFN kind, hidden size, RoPE switch and the base model's
SHA-256 (what `lisa eval --lisa` and `lisa generate --lisa` check), plus the step, so `lisa train --resume` and
`lisa_torch.train --resume` can continue each other's runs."""
from __future__ import annotations

import json
import os

import torch
from safetensors import safe_open
from safetensors.torch import save_file

from .sharing import SharingConfig


class CheckpointError(Exception):
    """A checkpoint that cannot be used here, as a sentence naming the file."""


def header(*, sharing: SharingConfig, rank: int, ffn: str, hidden: int, rope: bool, align_only: bool, sha256: str,
           step: int, options: dict, extra: dict[str, str]) -> dict[str, str]:
    """The `__metadata__` of `LocalKDTrainer.metadata(modelSHA:)` (booleans as Swift prints them)."""
    base = {"format": "lisa-local-kd-v1", "sharing": sharing.swift_json(), "rank": str(rank), "ffn": ffn,
            "hidden": str(hidden), "rope": "true" if rope else "false", "base_model_sha256": sha256,
            "step": str(step), "options": json.dumps(options, sort_keys=True, separators=(",", ":")),
            "method": "lisa", "align_only": "true" if align_only else "false"}
    return {**extra, **base}


def save(path: str, params: dict[str, torch.Tensor], moments: dict[str, tuple[torch.Tensor, torch.Tensor]],
         metadata: dict[str, str]) -> None:
    """Writes atomically (a temporary file, then rename), like the Swift writer."""
    tensors = {}
    for name, p in params.items():
        tensors[name] = p.detach().float().cpu().contiguous()
        m, v = moments.get(name, (torch.zeros_like(p), torch.zeros_like(p)))
        tensors["adam.m." + name] = m.detach().float().cpu().contiguous()
        tensors["adam.v." + name] = v.detach().float().cpu().contiguous()
    tmp = f"{path}.tmp-{os.getpid()}"
    save_file(tensors, tmp, metadata=metadata)
    os.replace(tmp, path)


def load(path: str) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    if not os.path.exists(path):
        raise CheckpointError(f"There is no checkpoint at {path} (no such file).")
    try:
        with safe_open(path, framework="pt") as f:
            return {k: f.get_tensor(k) for k in f.keys()}, dict(f.metadata() or {})
    except Exception as e:  # safetensors raises its own error types
        raise CheckpointError(f"{path} is not a readable safetensors checkpoint: {e}.") from None


def check_matches(path: str, meta: dict[str, str], mine: dict[str, str]) -> None:
    """The checks of `TrainerCheckpoint.load` for a LiSA run: same base model, same structure."""
    sha = meta.get("base_model_sha256")
    if sha is None:
        raise CheckpointError(f"{path} is not a readable safetensors checkpoint: no base_model_sha256 in __metadata__.")
    if sha != mine["base_model_sha256"]:
        raise CheckpointError(f"{path} was trained for a different base model (its sha256 is {sha}, "
                              f"this model's is {mine['base_model_sha256']}).")
    for key in ("sharing", "rank", "ffn", "hidden", "rope", "align_only"):
        theirs = meta.get(key, "false" if key == "align_only" else None)
        if theirs != mine[key]:
            raise CheckpointError(f"{path} was written with {key} = {theirs or 'nothing'}, but this run asks for "
                                  f"{mine[key]}.")
