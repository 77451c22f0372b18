"""The LiSA layer (paper eqs 3-4), the math of Sources/LiSA/LiSAAttention.swift and AlignFFN.swift in PyTorch:
A_n = Mask_n(FFN(concat(A_{n-1}, A_Δ))) over the head axis of every visible (query, key), with
A_Δ = RoPE(H W_LR^Q) RoPE(H W_LR^K)ᵀ / √r (NeoX pairing over the r dims of each low-rank head, layer n's base)."""
from __future__ import annotations

import math

import torch
from torch import nn

from .rng import GaussianRNG, layer_seed

FFN_KINDS = ("dl", "dl-silu", "sl", "plus")


def default_rank(head_dim: int) -> int:
    """round(d_k / 6.4) made even (at least 2), Swift's `defaultLiSARank` (rounding half away from zero)."""
    return max(2, int(math.floor(head_dim / 6.4 + 0.5)) & ~1)


class AlignFFN(nn.Module):
    """x [..., 2h] = concat(A_{n-1}, A_Δ) → [..., h]. Tensors stored [out, in] like nn.Linear, named as in the
    checkpoint (ffn.w1, ffn.b1, ffn.w2, ffn.b2 for DL; ffn.w, ffn.b for SL; none for plus)."""

    def __init__(self, kind: str, heads: int, hidden: int = 256):
        super().__init__()
        if kind not in FFN_KINDS:
            raise ValueError(f"The alignment FFN kind must be one of {', '.join(FFN_KINDS)}, not {kind!r}.")
        self.kind, self.heads = kind, heads
        self.hidden = hidden if kind in ("dl", "dl-silu") else 0
        h = heads
        if kind in ("dl", "dl-silu"):
            if hidden < 2 * h:
                raise ValueError(f"The {kind} FFN needs a hidden size of at least 2 × {h} heads, got {hidden}.")
            self.w1 = nn.Parameter(torch.zeros(hidden, 2 * h))
            self.b1 = nn.Parameter(torch.zeros(hidden))
            self.w2 = nn.Parameter(torch.zeros(h, hidden))
            self.b2 = nn.Parameter(torch.zeros(h))
        elif kind == "sl":
            self.w = nn.Parameter(torch.zeros(h, 2 * h))
            self.b = nn.Parameter(torch.zeros(h))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.heads
        if self.kind == "plus":
            return x[..., :h] + x[..., h:]
        if self.kind == "sl":
            return nn.functional.linear(x, self.w, self.b)
        pre = nn.functional.linear(x, self.w1, self.b1)
        act = torch.relu(pre) if self.kind == "dl" else nn.functional.silu(pre)
        return nn.functional.linear(act, self.w2, self.b2)

    @torch.no_grad()
    def init_ds_equivalent(self, rng: GaussianRNG, sigma: float = 0.02) -> None:
        """Output = A_{n-1} exactly (`AlignFFN.initDSEquivalent`): DL hidden units i and h+i compute +x_i and
        −x_i, W₂ = [I, −I, 0]; the other hidden units get N(0, σ) weights on the A_{n-1} half (drawn unit by
        unit, in Swift's order), zero on the A_Δ half. SL: W = [I | 0]."""
        h = self.heads
        for p in self.parameters():
            p.zero_()
        if self.kind in ("dl", "dl-silu"):
            n = (self.hidden - 2 * h) * h
            draws = torch.from_numpy(rng.normal(n) * sigma).view(self.hidden - 2 * h, h)
            self.w1[2 * h:, :h] = draws
            for i in range(h):
                self.w1[i, i] = 1
                self.w1[h + i, i] = -1
                self.w2[i, i] = 1
                self.w2[i, h + i] = -1
        elif self.kind == "sl":
            for i in range(h):
                self.w[i, i] = 1


def rope_neox(x: torch.Tensor, base: float) -> torch.Tensor:
    """x [B, T, heads, r] at positions 0..T-1, pairs (i, i + r/2), θ_i = base^(−2i/r) (computed in float64 then
    rounded, angles in float64, as Numerics/RoPE.swift)."""
    T, r = x.shape[1], x.shape[-1]
    half = r // 2
    inv = (1.0 / torch.pow(torch.tensor(float(base), dtype=torch.float64),
                           torch.arange(half, dtype=torch.float64) * 2 / r)).float()
    ang = torch.arange(T, dtype=torch.float64)[:, None] * inv.double()[None, :]     # [T, r/2]
    cos = ang.cos().to(x.dtype).to(x.device)[None, :, None, :]
    sin = ang.sin().to(x.dtype).to(x.device)[None, :, None, :]
    x0, x1 = x[..., :half], x[..., half:]
    return torch.cat([x0 * cos - x1 * sin, x0 * sin + x1 * cos], dim=-1)


class LiSALayer(nn.Module):
    """Trainable tensors of LiSA layer `index` (sharing from `source` = index − 1): wq_lr [h·r, d],
    wk_lr [h_kv·r, d] and the alignment FFN. `window`: layer n's own sliding window (None: global causal)."""

    def __init__(self, index: int, heads: int, kv_heads: int, dim: int, rank: int, rope_base: float,
                 window: int | None, ffn: str = "dl", hidden: int = 256, use_rope: bool = True):
        super().__init__()
        if use_rope and rank % 2:
            raise ValueError(f"LiSA layer {index}: RoPE needs an even rank, got {rank}.")
        self.index, self.source = index, index - 1
        self.heads, self.kv_heads, self.dim, self.rank = heads, kv_heads, dim, rank
        self.rope_base, self.window, self.use_rope = rope_base, window, use_rope
        self.wq_lr = nn.Parameter(torch.zeros(heads * rank, dim))
        self.wk_lr = nn.Parameter(torch.zeros(kv_heads * rank, dim))
        self.ffn = AlignFFN(ffn, heads, hidden)

    @torch.no_grad()
    def initialize(self, seed: int, sigma: float = 0.02, align_only: bool = False) -> None:
        """`LiSAParams.initialize(seed: seed &* 1_000_003 &+ index)`: W_LR^Q, then W_LR^K ~ N(0, σ), then the FFN's
        DS-equivalent init, from one stream. Align-only zeroes W_LR^Q afterwards (A_Δ = 0)."""
        rng = GaussianRNG(layer_seed(seed, self.index))
        self.wq_lr.copy_(torch.from_numpy(rng.normal(self.wq_lr.numel()) * sigma).view_as(self.wq_lr))
        self.wk_lr.copy_(torch.from_numpy(rng.normal(self.wk_lr.numel()) * sigma).view_as(self.wk_lr))
        self.ffn.init_ds_equivalent(rng, sigma)
        if align_only:
            self.wq_lr.zero_()

    def forward(self, h: torch.Tensor, prev: torch.Tensor, visible: torch.Tensor) -> torch.Tensor:
        """h [B, T, d] attention input H; prev [B, h, T, T] A_{n-1} (masked −inf); visible [T, T] bool, layer n's
        mask. Returns A_n [B, h, T, T], float32, −inf where masked. A non-finite A_{n-1} at an entry visible to
        layer n (mask types differ) enters the FFN as −1e4, as in Swift."""
        B, T, _ = h.shape
        H, r = self.heads, self.rank
        q = nn.functional.linear(h, self.wq_lr).view(B, T, H, r)
        k = nn.functional.linear(h, self.wk_lr).view(B, T, self.kv_heads, r)
        if self.use_rope:
            q, k = rope_neox(q, self.rope_base), rope_neox(k, self.rope_base)
        q, k = q.transpose(1, 2), k.transpose(1, 2).repeat_interleave(H // self.kv_heads, dim=1)
        delta = torch.matmul(q, k.transpose(-1, -2)).float() / math.sqrt(r)      # [B, h, T, T]  eq 3
        idx = visible.reshape(-1).nonzero().squeeze(1)                           # [N] a·T + b
        prev = torch.where(torch.isfinite(prev), prev, torch.full_like(prev, -1e4))
        x = torch.cat([prev, delta], dim=1).flatten(2).index_select(2, idx).transpose(1, 2)   # [B, N, 2h]
        y = self.ffn(x).float().transpose(1, 2)                                  # [B, h, N]     eq 4
        out = torch.full((B, H, T * T), float("-inf"), dtype=torch.float32, device=h.device)
        return out.index_copy(2, idx, y).view(B, H, T, T)
