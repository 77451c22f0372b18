"""The base model with LiSA in place: every decoder layer's `self_attn` is replaced by `LayerAttention`, which runs
the layer's standard attention (scores kept where a later layer or a loss needs them), direct sharing
(A_l = A_{l-1}, head for head) or a LiSA layer, from the same HF weights. `LiSANetwork` holds the trainable LiSA
layers (the only parameters DDP sees) and computes the Swift trainer's losses:
- local phase (eq 5, 8): each LiSA layer fed the teacher's H and A_{n-1}; L_KD = mean over LiSA layers and
  sequences of the Huber loss averaged over the layer's visible (h, a, b) entries;
- joint phase (eq 7): the network with LiSA in place; L = β·L_KD + (1−β)·L_LM, L_LM the mean next-token
  cross-entropy over the T−1 predicting rows, L_KD against the original model's A_n*."""
from __future__ import annotations

import math

import torch
from torch import nn

from .base import BaseModel
from .layer import LiSALayer
from .sharing import SharingConfig


class _StopForward(Exception):
    """Raised after the last layer a teacher pass needs (the rest of the network is not run)."""


class ForwardState:
    """What one forward pass keeps: scores A_l [B, h, T, T] (float32, −inf masked) and attention inputs H."""

    def __init__(self, teacher: bool, keep_scores: set[int], keep_inputs: set[int] = frozenset(),
                 stop_after: int | None = None):
        self.teacher, self.keep_scores, self.keep_inputs = teacher, keep_scores, keep_inputs
        self.stop_after = stop_after
        self.scores: dict[int, torch.Tensor] = {}
        self.inputs: dict[int, torch.Tensor] = {}


def visible_mask(T: int, window: int | None, device) -> torch.Tensor:
    """[T, T] bool: key b visible to query a (b ≤ a, and b > a − window on sliding layers), as Swift's `visible`."""
    a = torch.arange(T, device=device)[:, None]
    b = torch.arange(T, device=device)[None, :]
    m = b <= a
    return m & (b > a - window) if window is not None else m


def _rotate(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """HF's RoPE convention (rotate_half) on x [B, heads, T, hd] with cos/sin [B, T, hd]."""
    half = x.shape[-1] // 2
    rot = torch.cat([-x[..., half:], x[..., :half]], dim=-1)
    return x * cos.unsqueeze(1) + rot * sin.unsqueeze(1)


class LayerAttention(nn.Module):
    """Drop-in for a HF attention module (same call: hidden_states, position_embeddings, …) → (output, None)."""

    def __init__(self, inner: nn.Module, index: int, window: int | None, net: "LiSANetwork"):
        super().__init__()
        self.inner, self.index, self.window = inner, index, window
        object.__setattr__(self, "_net", net)      # a back reference, not a submodule

    def forward(self, hidden_states, position_embeddings=None, attention_mask=None, **kwargs):
        net, inner, l = self._net, self.inner, self.index
        st: ForwardState = net.state
        h = hidden_states
        B, T, _ = h.shape
        hd = inner.head_dim
        vis = visible_mask(T, self.window, h.device)
        if st.teacher and l in st.keep_inputs:
            st.inputs[l] = h.detach()
        mode = "standard" if st.teacher else net.mode_of(l)
        keep = l in st.keep_scores
        v = inner.v_proj(h).view(B, T, -1, hd).transpose(1, 2)               # [B, h_kv, T, hd]
        v = v.repeat_interleave(inner.num_key_value_groups, dim=1)            # [B, h, T, hd]
        if mode == "lisa":
            scores = net.lisa[str(l)](h, st.scores[l - 1], vis)
        elif mode == "ds":
            scores = st.scores[l - 1]
        else:
            q = inner.q_proj(h).view(B, T, -1, hd).transpose(1, 2)
            k = inner.k_proj(h).view(B, T, -1, hd).transpose(1, 2)
            if getattr(inner, "q_norm", None) is not None:
                q, k = inner.q_norm(q), inner.k_norm(k)
            cos, sin = position_embeddings
            q, k = _rotate(q, cos, sin), _rotate(k, cos, sin)
            k = k.repeat_interleave(inner.num_key_value_groups, dim=1)
            if not keep:   # nothing needs A_l: the fused kernel
                ctx = nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=vis, scale=inner.scaling)
                return self._out(ctx, B, T), None
            scores = (torch.matmul(q, k.transpose(-1, -2)) * inner.scaling).float()
            scores = scores.masked_fill(~vis, float("-inf"))
        if keep:
            st.scores[l] = scores
        if st.stop_after == l:
            raise _StopForward
        probs = torch.softmax(scores, dim=-1).to(v.dtype)
        return self._out(torch.matmul(probs, v), B, T), None

    def _out(self, ctx: torch.Tensor, B: int, T: int) -> torch.Tensor:
        return self.inner.o_proj(ctx.transpose(1, 2).reshape(B, T, -1))


def huber_mean(a: torch.Tensor, b: torch.Tensor, vis: torch.Tensor, delta: float) -> torch.Tensor:
    """Eq 8 summed over the visible entries of A [B, h, T, T], divided by their count (B·h·N)."""
    return nn.functional.huber_loss(a[:, :, vis], b[:, :, vis], reduction="mean", delta=delta)


class LiSANetwork(nn.Module):
    def __init__(self, base: BaseModel, sharing: SharingConfig, *, rank: int, ffn: str = "dl", hidden: int = 256,
                 use_rope: bool = True, huber_delta: float = 1.0):
        super().__init__()
        object.__setattr__(self, "base", base)      # frozen, not seen by DDP or the optimizer
        c = base.config
        self.lisa_indices = [l.index for l in sharing.lisa_layers]
        self.ds_indices = {l.index for l in sharing.layers if l.mode == "ds"}
        self.huber_delta = huber_delta
        self.lisa = nn.ModuleDict({
            str(i): LiSALayer(i, c.num_attention_heads, c.num_key_value_heads, c.hidden_size, rank,
                              base.rope_base(i), base.window(i), ffn, hidden, use_rope)
            for i in self.lisa_indices})
        self.state = ForwardState(teacher=True, keep_scores=set())
        for i, layer in enumerate(base.decoder_layers):
            if not isinstance(layer.self_attn, LayerAttention):
                layer.self_attn = LayerAttention(layer.self_attn, i, base.window(i), self)
            else:
                object.__setattr__(layer.self_attn, "_net", self)

    def mode_of(self, layer: int) -> str:
        return "lisa" if str(layer) in self.lisa else ("ds" if layer in self.ds_indices else "standard")

    def to(self, *args, **kwargs):
        self.base.hf.to(*args, **kwargs)
        return super().to(*args, **kwargs)

    def initialize(self, seed: int, align_only: bool = False) -> None:
        for i in self.lisa_indices:
            self.lisa[str(i)].initialize(seed, align_only=align_only)

    # --- the passes -------------------------------------------------------------------------------------------

    def _run(self, tokens: torch.Tensor, state: ForwardState):
        self.state = state
        try:
            return self.base.hf(input_ids=tokens, use_cache=False).logits
        except _StopForward:
            return None
        finally:
            self.state = ForwardState(teacher=True, keep_scores=set())

    @torch.no_grad()
    def teacher(self, tokens: torch.Tensor, *, inputs: bool) -> ForwardState:
        """The original model (standard attention everywhere) up to the last LiSA layer: A_n* of every LiSA
        layer and its front layer, and (with `inputs`) each LiSA layer's attention input H."""
        keep = set(self.lisa_indices) | {i - 1 for i in self.lisa_indices}
        st = ForwardState(teacher=True, keep_scores=keep, keep_inputs=set(self.lisa_indices) if inputs else set(),
                          stop_after=max(self.lisa_indices))
        self._run(tokens, st)
        return st

    def student(self, tokens: torch.Tensor) -> tuple[torch.Tensor, ForwardState]:
        """The network with LiSA and DS in place: logits [B, T, V] and the LiSA layers' A_n."""
        keep = set(self.lisa_indices) | {i - 1 for i in set(self.lisa_indices) | self.ds_indices}
        st = ForwardState(teacher=False, keep_scores=keep)
        logits = self._run(tokens, st)
        return logits, st

    # --- the losses ------------------------------------------------------------------------------------------

    def local_loss(self, tokens: torch.Tensor) -> torch.Tensor:
        t = self.teacher(tokens, inputs=True)
        T = tokens.shape[1]
        kd = []
        for i in self.lisa_indices:
            L = self.lisa[str(i)]
            vis = visible_mask(T, L.window, tokens.device)
            a = L(t.inputs[i], t.scores[i - 1], vis)
            kd.append(huber_mean(a, t.scores[i], vis, self.huber_delta))
        return torch.stack(kd).mean()

    def joint_loss(self, tokens: torch.Tensor, beta: float) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(total, L_KD, L_LM); L_KD is 0 when β = 0 (no teacher pass), as in Swift."""
        t = self.teacher(tokens, inputs=False) if beta > 0 else None
        logits, st = self.student(tokens)
        V = logits.shape[-1]
        lm = nn.functional.cross_entropy(logits[:, :-1].reshape(-1, V).float(), tokens[:, 1:].reshape(-1))
        if t is None:
            kd = torch.zeros((), device=tokens.device)
        else:
            T = tokens.shape[1]
            kd = torch.stack([huber_mean(st.scores[i], t.scores[i], visible_mask(T, self.lisa[str(i)].window,
                                                                               tokens.device), self.huber_delta)
                              for i in self.lisa_indices]).mean()
        return beta * kd + (1 - beta) * lm, kd, lm

    def forward(self, tokens: torch.Tensor, phase: str, beta: float = 0.25):
        """(loss to backpropagate, L_KD, L_LM or nan), means over this process's sequences."""
        if phase == "local":
            kd = self.local_loss(tokens)
            return kd, kd.detach(), torch.full((), math.nan, device=tokens.device)
        total, kd, lm = self.joint_loss(tokens, beta)
        return total, kd.detach(), lm.detach()

    @torch.no_grad()
    def logits(self, tokens: torch.Tensor) -> torch.Tensor:
        """The student's logits (the forward `lisa eval --lisa` runs)."""
        return self.student(tokens)[0]
