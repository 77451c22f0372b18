"""The Swift trainer's optimiser (Sources/LiSA/AdamW.swift) on torch.optim.AdamW: decoupled weight decay on
matrices only (biases undecayed), bias-corrected moments, global-norm clipping of the gradient before the update
(norm > clip ⇒ scale by clip / norm, no epsilon), and a linear warm-up followed by cosine decay to 0."""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch


@dataclass
class Settings:
    lr: float = 3e-4
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    weight_decay: float = 0.1
    clip_norm: float = 1.0
    warmup_steps: int = 0
    total_steps: int = 1

    def swift_json(self) -> dict:
        """The `AdamW.Settings` fields as Swift names them (for the checkpoint's "options" entry)."""
        d = asdict(self)
        return {"beta1": d["beta1"], "beta2": d["beta2"], "clipNorm": d["clip_norm"], "eps": d["eps"], "lr": d["lr"],
                "totalSteps": d["total_steps"], "warmupSteps": d["warmup_steps"], "weightDecay": d["weight_decay"]}


def learning_rate(s: Settings, step: int) -> float:
    """The rate of update `step` (0-based): lr·(step+1)/warmup during warm-up, then lr·½(1 + cos(π·t)) with
    t = min(1, (step − warmup) / max(1, total − warmup))."""
    if step < s.warmup_steps:
        return s.lr * (step + 1) / s.warmup_steps
    span = max(1, s.total_steps - s.warmup_steps)
    t = min(1.0, (step - s.warmup_steps) / span)
    return s.lr * 0.5 * (1 + math.cos(math.pi * t))


class Optimizer:
    """AdamW over named trainable tensors (frozen ones are left out: no update, no decay, not in the norm)."""

    def __init__(self, named: dict[str, torch.nn.Parameter], settings: Settings, frozen: set[str] = frozenset()):
        self.settings, self.step = settings, 0
        self.named = {n: p for n, p in named.items() if n not in frozen}
        for n, p in named.items():
            p.requires_grad_(n not in frozen)
        decay = [p for p in self.named.values() if p.dim() == 2]
        plain = [p for p in self.named.values() if p.dim() != 2]
        groups = [{"params": decay, "weight_decay": settings.weight_decay}, {"params": plain, "weight_decay": 0.0}]
        self.adamw = torch.optim.AdamW([g for g in groups if g["params"]], lr=settings.lr,
                                       betas=(settings.beta1, settings.beta2), eps=settings.eps)

    def update(self) -> float:
        """Clips the gradients to the global norm and applies update `self.step`. Returns the pre-clip norm."""
        grads = [p.grad for p in self.named.values() if p.grad is not None]
        norm = torch.sqrt(sum((g.double() ** 2).sum() for g in grads)).item() if grads else 0.0
        c = self.settings.clip_norm
        if c > 0 and norm > c:
            for g in grads:
                g.mul_(c / norm)
        lr = learning_rate(self.settings, self.step)
        for group in self.adamw.param_groups:
            group["lr"] = lr
        self.adamw.step()
        self.step += 1
        return norm

    def moments(self) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
        out = {}
        for n, p in self.named.items():
            st = self.adamw.state.get(p, {})
            if "exp_avg" in st:
                out[n] = (st["exp_avg"], st["exp_avg_sq"])
        return out

    def restore(self, moments: dict[str, tuple[torch.Tensor, torch.Tensor]], step: int) -> None:
        """Moments m, v and the step count as a checkpoint holds them (Swift's m and v are AdamW's exp_avg and
        exp_avg_sq: the same recurrences on the clipped gradient)."""
        self.step = step
        for n, p in self.named.items():
            if n in moments and step > 0:
                m, v = moments[n]
                self.adamw.state[p] = {"step": torch.tensor(float(step)), "exp_avg": m.to(p.device, p.dtype).clone(),
                                       "exp_avg_sq": v.to(p.device, p.dtype).clone()}
