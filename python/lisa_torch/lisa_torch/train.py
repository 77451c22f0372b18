"""`python -m lisa_torch.train` / `torchrun --nproc-per-node N -m lisa_torch.train`: LiSA training on PyTorch with the
Swift trainer's phases, losses, initialisation, optimiser and schedule (`lisa train`), data-parallel over
processes (DDP: each process runs batch/N sequences of every global batch; gradients are averaged, so N processes
follow the same curve as one with the same global batch), bf16 autocast on GPU. The checkpoint is the workbench's
safetensors format: `lisa eval --lisa` and `lisa generate --lisa` run it, `lisa train --resume` continues it."""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch

from . import __version__
from .base import BaseModelError, load_base
from .checkpoint import CheckpointError, check_matches, header, load, save
from .data import DataError, Windows, read_token_cache, resolve_corpus, tokenize_corpora
from .layer import FFN_KINDS, default_rank
from .network import LiSANetwork
from .optim import Optimizer, Settings, learning_rate
from .sharing import SharingConfig, SharingConfigError


class TrainError(Exception):
    """A run that cannot start, as a sentence."""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="lisa_torch.train", description=__doc__.split("\n\n")[0])
    a = p.add_argument
    a("--model", required=True, help="GGUF file (loaded with transformers' gguf_file=) or a Hugging Face folder")
    a("--base-gguf", help="with a Hugging Face folder: the GGUF that `lisa eval` will run (its SHA-256 goes in the "
      "header)")
    a("--base-sha256", help="with a Hugging Face folder: the SHA-256 of that GGUF, when the file is not at hand")
    a("--config", help="sharing config JSON (from `lisa recommend`); its lisa layers train, its ds layers share")
    a("--layers", help="fallback when no --config: LiSA layers, comma-separated (each shares from n-1)")
    a("--tokens", type=int, required=True,
      help="training tokens of the whole run (steps = ceil(tokens / (batch·seq-len)))")
    a("--out", required=True, help="output checkpoint (safetensors, the workbench's format)")
    a("--phase", default="joint", choices=["local", "joint", "both"],
      help="joint (the paper's recipe, as lisa train's default), local or both")
    a("--joint-share", type=float, default=0.25, help="with --phase both: the fraction of steps run as the joint phase")
    a("--beta", type=float, default=0.25, help="β of L = β·L_KD + (1−β)·L_LM in the joint phase")
    a("--seq-len", type=int, default=640, help="as lisa train: longer than Gemma's 512-token sliding window")
    a("--batch", type=int, default=4, help="global batch (sequences per step, over all processes)")
    a("--lr", type=float, default=3e-4, help="peak learning rate")
    a("--warmup", type=int, help="warm-up steps (default: 3.75%% of the steps, the paper's 1,500 of 40,000, at least 1)")
    a("--seed", type=int, default=1234, help="seed of the initialisation (the same draws as `lisa train --seed`)")
    a("--ffn", default="dl", choices=FFN_KINDS)
    a("--rank", type=int, help="low-rank r per head (default round(d_k/6.4), even)")
    a("--hidden", type=int, default=256, help="hidden size of the DL alignment FFN")
    a("--no-rope", action="store_true", help="no RoPE on the low-rank Q/K")
    a("--align-only", action="store_true", help="Table 7 ablation: A_Δ frozen at 0, only the alignment FFN trains")
    a("--checkpoint-every", type=int, default=0, help="write a checkpoint every K steps (0: only at the end)")
    a("--resume", action="store_true", help="continue from the checkpoint at --out (a Swift or a PyTorch one)")
    a("--corpus", action="append", help="JSONL with a \"text\" field or a .txt file, tokenized with the model's HF "
      "tokenizer; repeat to concatenate (default text_corpus/train.jsonl)")
    a("--data", help="data folder for relative --corpus paths (default $LISA_DATA, else ../shared/data)")
    a("--token-file", action="append", help="a `lisa train` token cache file (the Swift tokenizer's ids) in place of "
      "--corpus; repeat to concatenate")
    a("--device", default="auto", help="auto (cuda when available), cpu, cuda")
    a("--precision", default="auto", choices=["auto", "fp32", "bf16"], help="autocast (auto: bf16 on GPU, fp32 on CPU)")
    a("--threads", type=int, help="CPU threads per process (torch.set_num_threads)")
    a("--log-json", help="append one JSON line per step (step, phase, losses, lr, grad norm, tokens/s)")
    return p


def check_options(a) -> None:
    if a.config is None and a.layers is None:
        raise TrainError("Give --config or --layers.")
    if a.tokens <= 0 or a.seq_len < 2 or a.batch < 1:
        raise TrainError("--tokens, --seq-len ≥ 2 and --batch must be positive.")
    if not (0 <= a.joint_share <= 1 and 0 <= a.beta <= 1):
        raise TrainError("--joint-share and --beta must lie in [0, 1].")
    if a.rank is not None and (a.rank < 1 or (not a.no_rope and a.rank % 2)):
        raise TrainError(f"--rank must be a positive{'' if a.no_rope else ' even'} number (RoPE rotates pairs; "
                         f"--no-rope allows odd), got {a.rank}.")
    if not (math.isfinite(a.lr) and a.lr > 0):
        raise TrainError(f"--lr must be a finite number above 0, got {a.lr}.")
    if a.warmup is not None and a.warmup < 0:
        raise TrainError(f"--warmup must be 0 or more, got {a.warmup}.")
    if a.checkpoint_every < 0:
        raise TrainError(f"--checkpoint-every must be 0 or more, got {a.checkpoint_every}.")
    if a.align_only and a.ffn == "plus":
        raise TrainError("--align-only needs an alignment FFN (not --ffn plus).")
    if a.corpus and a.token_file:
        raise TrainError("Give --corpus or --token-file, not both.")


def plan(a) -> tuple[int, int, Settings]:
    """(steps, local steps, optimiser settings) exactly as `lisa train` computes them."""
    steps = (a.tokens + a.batch * a.seq_len - 1) // (a.batch * a.seq_len)
    joint = int(math.floor(steps * a.joint_share + 0.5))      # Swift's .rounded(): half away from zero
    local = steps if a.phase == "local" else 0 if a.phase == "joint" else steps - joint
    s = Settings(lr=a.lr, total_steps=steps, warmup_steps=a.warmup if a.warmup is not None
                 else max(1, int(math.floor(steps * 1500 / 40000 + 0.5))))   # TrainingRunConfig.defaultWarmup
    return steps, local, s


class Run:
    """One training run in this process (rank `rank` of `world`)."""

    def __init__(self, a, rank: int = 0, world: int = 1, device: torch.device | None = None, log=print):
        check_options(a)
        self.a, self.rank, self.world, self.log = a, rank, world, log
        self.device = device or torch.device("cpu")
        if a.batch % world:
            raise TrainError(f"--batch {a.batch} must be a multiple of the {world} processes.")
        self.base = load_base(a.model, base_gguf=a.base_gguf, base_sha256=a.base_sha256)
        c, b = self.base.config, self.base
        if a.config:
            self.sharing = SharingConfig.load(a.config)
            if self.sharing.model_sha256 != b.sha256:
                raise TrainError(f"The sharing config {a.config} was made for a model with SHA-256 "
                                 f"{self.sharing.model_sha256}, but the base model has {b.sha256}.")
        else:
            try:
                idx = [int(x) for x in a.layers.split(",")]
            except ValueError:
                raise TrainError(f"--layers: {a.layers!r} is not a list of 0-based layer indices "
                                 "(e.g. --layers 3,5,7).") from None
            self.sharing = SharingConfig.from_lisa_layers(idx, b.n_layers, b.sha256, b.arch)
            self.sharing.validate("--layers")
        self.sharing.validate_for_training(b.n_layers, [b.window(i) for i in range(b.n_layers)], a.seq_len)
        self.rank_r = a.rank or default_rank(c.head_dim)
        if a.ffn in ("dl", "dl-silu") and a.hidden < 2 * c.num_attention_heads:
            raise TrainError(f"--ffn {a.ffn} needs a hidden size of at least 2 × {c.num_attention_heads} heads "
                             f"(it is {a.hidden}); use --ffn sl or --ffn plus for this model.")
        self.steps, self.local_steps, self.settings = plan(a)
        use_bf16 = a.precision == "bf16" or (a.precision == "auto" and self.device.type == "cuda")
        self.autocast = torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=use_bf16)
        self.precision = "bf16" if use_bf16 else "fp32"
        self.net = LiSANetwork(b, self.sharing, rank=self.rank_r, ffn=a.ffn, hidden=a.hidden, use_rope=not a.no_rope)
        self.net.initialize(a.seed, align_only=a.align_only)
        self.net.to(self.device)
        frozen = {n for n in self.named() if a.align_only and n.split(".")[-1] in ("wq_lr", "wk_lr")}
        self.opt = Optimizer(self.named(), self.settings, frozen)
        self.windows = self._windows()
        if a.resume and os.path.exists(a.out):
            self._resume()
        elif a.resume:
            log(f"no checkpoint at {a.out} yet: starting from step 0")
        self.model = self.net
        if world > 1:
            from torch.nn.parallel import DistributedDataParallel
            self.model = DistributedDataParallel(self.net, device_ids=[self.device.index] if self.device.type == "cuda"
                                                 else None)

    def named(self) -> dict[str, torch.nn.Parameter]:
        """Trainable tensors under their checkpoint names (layers.<n>.<name>)."""
        return {f"layers.{k}": p for k, p in self.net.lisa.named_parameters()}

    def _windows(self) -> Windows:
        a, b = self.a, self.base
        need = self.steps * a.batch
        if a.token_file:
            stream = np.concatenate([read_token_cache(f) for f in a.token_file])
        else:
            from transformers import AutoTokenizer
            if b.gguf_path and os.path.isfile(a.model):
                folder, name = os.path.split(os.path.abspath(a.model))
                tok = AutoTokenizer.from_pretrained(folder, gguf_file=name)
            else:
                tok = AutoTokenizer.from_pretrained(a.model)
            corpora = [resolve_corpus(c, a.data) for c in (a.corpus or ["text_corpus/train.jsonl"])]
            stream = tokenize_corpora(corpora, tok, need * a.seq_len)
        return Windows(stream, a.seq_len, need, b.bos_id)

    def metadata(self) -> dict[str, str]:
        a = self.a
        options = {"ffn": a.ffn, "hidden": a.hidden, "huberDelta": 1, "optimizer": self.settings.swift_json(),
                   "seed": a.seed, "useRoPE": not a.no_rope}
        if a.rank is not None:
            options["rank"] = a.rank
        if a.align_only:
            options["alignOnly"] = True
        extra = {"phase": a.phase, "local_steps": str(self.local_steps),
                 "joint_steps": str(self.steps - self.local_steps),
                 "beta": repr(a.beta), "seq_len": str(a.seq_len), "batch": str(a.batch),
                 "trainer": f"lisa_torch {__version__} (torch {torch.__version__}, {self.world} process"
                            f"{'es' if self.world > 1 else ''}, {self.precision})"}
        return header(sharing=self.sharing, rank=self.rank_r, ffn=a.ffn, hidden=a.hidden, rope=not a.no_rope,
                      align_only=a.align_only, sha256=self.base.sha256, step=self.opt.step, options=options,
                      extra=extra)

    def _resume(self) -> None:
        tensors, meta = load(self.a.out)
        check_matches(self.a.out, meta, self.metadata())
        moments = {}
        with torch.no_grad():
            for n, p in self.named().items():
                for key in (n, "adam.m." + n, "adam.v." + n):
                    if key not in tensors or tuple(tensors[key].shape) != tuple(p.shape):
                        raise CheckpointError(f"{self.a.out} has no tensor named {key} of shape {list(p.shape)}.")
                p.copy_(tensors[n])
                moments[n] = (tensors["adam.m." + n], tensors["adam.v." + n])
        self.opt.restore(moments, int(meta.get("step", "0")))
        self.log(f"resumed from {self.a.out} at step {self.opt.step}")

    def local_batch(self, step: int) -> torch.Tensor:
        b = self.windows.batch(step, self.a.batch)
        per = self.a.batch // self.world
        return torch.from_numpy(b[self.rank * per:(self.rank + 1) * per]).to(self.device)

    def step(self) -> dict:
        """One update at step `opt.step`; the losses are means over the global batch."""
        s = self.opt.step
        phase = "local" if s < self.local_steps else "joint"
        tokens = self.local_batch(s)
        for p in self.net.parameters():
            p.grad = None
        with self.autocast:
            loss, kd, lm = self.model(tokens, phase, self.a.beta)
        loss.backward()
        parts = torch.stack([loss.detach().float(), kd.float(), lm.float()])
        if self.world > 1:
            torch.distributed.all_reduce(parts)
            parts /= self.world
        lr = learning_rate(self.settings, s)
        norm = self.opt.update()
        total, kd, lm = (float(x) for x in parts.cpu())
        return {"step": s + 1, "phase": phase, "total": total, "kd": kd, "lm": lm, "lr": lr, "grad_norm": norm}

    def save(self) -> None:
        if self.rank == 0:
            save(self.a.out, self.named(), self.opt.moments(), self.metadata())
        if self.world > 1:
            torch.distributed.barrier()

    def train(self) -> None:
        a, start, first = self.a, time.time(), self.opt.step
        n_params = sum(p.numel() for p in self.opt.named.values())
        base_params = sum(p.numel() for p in self.base.hf.parameters())
        self.log(f"LiSA: layers {[l.index for l in self.sharing.lisa_layers]}, r = {self.rank_r}, FFN {a.ffn}, RoPE "
                 f"{not a.no_rope}; {n_params} trainable parameters ({100 * n_params / base_params:.3f}% of the base "
                 f"model); {self.local_steps} local + {self.steps - self.local_steps} joint steps (β = {a.beta}); "
                 f"{self.world} process{'es' if self.world > 1 else ''} on {self.device}, {self.precision}")
        while self.opt.step < self.steps:
            r = self.step()
            done, el = r["step"] - first, time.time() - start
            r["tokens_per_s"] = done * a.batch * a.seq_len / el
            if self.rank == 0:
                parts = (f"L_KD {r['kd']:.5f}" if r["phase"] == "local"
                         else f"L {r['total']:.5f}  L_KD {r['kd']:.5f}  L_LM {r['lm']:.5f}")
                self.log(f"step {r['step']}/{self.steps} {r['phase']}  {parts}  lr {r['lr']:.2e}  "
                         f"{r['tokens_per_s']:.0f} tok/s  ETA {el / done * (self.steps - r['step']):.0f} s")
                if a.log_json:
                    with open(a.log_json, "a") as f:
                        f.write(json.dumps({k: (None if isinstance(v, float) and math.isnan(v) else v)
                                            for k, v in r.items()}) + "\n")
            if a.checkpoint_every > 0 and r["step"] % a.checkpoint_every == 0 and r["step"] < self.steps:
                self.save()
        self.save()
        self.log(f"wrote {a.out}")


def main(argv: list[str] | None = None) -> int:
    a = build_parser().parse_args(argv)
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local = int(os.environ.get("LOCAL_RANK", "0"))
    if a.threads:
        torch.set_num_threads(a.threads)
    use_cuda = a.device == "cuda" or (a.device == "auto" and torch.cuda.is_available())
    device = torch.device(f"cuda:{local}" if use_cuda else "cpu")
    if use_cuda:
        torch.cuda.set_device(device)
    if world > 1:
        torch.distributed.init_process_group("nccl" if use_cuda else "gloo")

    def log(s: str) -> None:
        if rank == 0:
            print(s, file=sys.stderr, flush=True)
    finished = False
    try:
        Run(a, rank, world, device, log).train()
        finished = True
    except (TrainError, BaseModelError, SharingConfigError, CheckpointError, DataError) as e:
        print(f"lisa_torch.train: {e}", file=sys.stderr)
        return 1
    finally:
        if world > 1 and torch.distributed.is_initialized():
            # every rank reaches the teardown before any closes its connections: once (under CI load) rank 1
            # aborted at exit ("terminate called without an active exception") after rank 0 had torn down
            if finished:
                torch.distributed.barrier()
            torch.distributed.destroy_process_group()
    return 0


if __name__ == "__main__":
    sys.exit(main())
