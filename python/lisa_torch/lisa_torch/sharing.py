"""Sharing configs (Sources/Models/SharingConfig.swift): which layers run LiSA or DS, as the Swift workbench writes
and reads them, including the compact JSON a checkpoint's header holds (Swift's JSONEncoder with sorted keys:
no spaces, "/" escaped as "\\/", non-ASCII kept, nil sources left out)."""
from __future__ import annotations

import json
from dataclasses import dataclass


class SharingConfigError(Exception):
    """A sharing config that cannot be used, as a sentence naming the file."""


@dataclass(frozen=True)
class Layer:
    index: int
    mode: str            # standard, ds, lisa
    source: int | None
    reason: str


@dataclass(frozen=True)
class SharingConfig:
    model_sha256: str
    arch: str
    n_layers: int
    layers: tuple[Layer, ...]

    @property
    def lisa_layers(self) -> list[Layer]:
        return [l for l in self.layers if l.mode == "lisa"]

    @staticmethod
    def from_lisa_layers(indices: list[int], n_layers: int, model_sha256: str, arch: str) -> "SharingConfig":
        """`lisa train --layers 7,8,9`: LiSA on each listed layer, sharing from the layer before it."""
        return SharingConfig(model_sha256, arch, n_layers,
                             tuple(Layer(i, "lisa", i - 1, "listed with --layers") for i in sorted(indices)))

    @staticmethod
    def load(path: str) -> "SharingConfig":
        try:
            with open(path, encoding="utf-8") as f:
                d = json.load(f)
            layers = tuple(Layer(int(l["index"]), str(l["mode"]), None if l.get("source") is None else int(l["source"]),
                                 str(l.get("reason", ""))) for l in d["layers"])
            c = SharingConfig(str(d["model_sha256"]), str(d.get("arch", "")), int(d["n_layers"]), layers)
        except OSError as e:
            raise SharingConfigError(f"The sharing config {path} cannot be read: {e.strerror}.") from None
        except (ValueError, KeyError, TypeError) as e:
            raise SharingConfigError(f"The sharing config {path} is not a sharing config ({e}).") from None
        c.validate(path)
        return c

    def validate(self, path: str) -> None:
        """The checks of `SharingConfig.validate(path:)`."""
        def bad(reason: str):
            return SharingConfigError(f"The sharing config {path} is not usable: {reason}.")
        if self.n_layers <= 0:
            raise bad(f"n_layers must be positive, not {self.n_layers}")
        seen = set()
        for l in self.layers:
            if not 0 <= l.index < self.n_layers:
                raise bad(f"layer {l.index} lies outside the model's layers 0..<{self.n_layers} (0-based)")
            if l.index in seen:
                raise bad(f"layer {l.index} is listed twice")
            seen.add(l.index)
            if l.mode == "standard":
                if l.source is not None:
                    raise bad(f"layer {l.index} is standard but names a source layer")
            elif l.mode in ("ds", "lisa"):
                if l.index == 0:
                    raise bad("layer 0 cannot share: it has no front layer")
                if l.source != l.index - 1:
                    raise bad(f"layer {l.index} must share from its front layer {l.index - 1}, not {l.source}")
            else:
                raise bad(f"layer {l.index} has mode {l.mode!r}, not one of standard, ds, lisa")

    def validate_for_training(self, n_layers: int, windows: list[int | None], seq_len: int) -> None:
        """`validateForTraining`: at least one LiSA layer, each sharing from its front layer, whose mask type
        matches when sequences exceed the sliding window."""
        if self.n_layers != n_layers:
            raise SharingConfigError(f"The sharing config is for {self.n_layers} layers, the model has {n_layers}.")
        if not self.lisa_layers:
            raise SharingConfigError("The sharing config lists no lisa layers.")
        for l in self.lisa_layers:
            w, ws = windows[l.index], windows[l.index - 1]
            if (w is None) != (ws is None):
                win = w if w is not None else ws
                if seq_len > win:
                    raise SharingConfigError(
                        f"Layer {l.index}'s attention type differs from layer {l.index - 1}'s (sliding window {win} vs "
                        f"global) and sequences of {seq_len} exceed the window: pick another layer.")

    def swift_json(self) -> str:
        """Byte for byte what Swift's `SharingConfig.json` gives (the checkpoint header's "sharing" entry, which
        `lisa train --resume` compares as text)."""
        def layer(l: Layer) -> dict:
            d = {"index": l.index, "mode": l.mode, "reason": l.reason}
            if l.source is not None:
                d["source"] = l.source
            return d
        d = {"arch": self.arch, "layers": [layer(l) for l in self.layers], "model_sha256": self.model_sha256,
             "n_layers": self.n_layers}
        return json.dumps(d, sort_keys=True, separators=(",", ":"), ensure_ascii=False).replace("/", "\\/")
