"""Shared test support: whether torch is here (else every test skips with the reason), the `lisa` binary under
test, a tiny model with its corpus and sharing configs, and tolerance checks that print what they measured."""
from __future__ import annotations

import functools
import importlib.util
import json
import os
import random
import subprocess
import tempfile
import unittest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
_NEEDED = ("torch", "transformers", "gguf", "safetensors", "accelerate", "numpy")
MISSING = [m for m in _NEEDED if importlib.util.find_spec(m) is None]
REASON = (f"{', '.join(MISSING)} not importable by this Python (scripts/setup --with-torch installs lisa_torch's "
          "dependencies into ~/.cache/lisa/venv-torch)") if MISSING else ""
needs_torch = unittest.skipIf(bool(MISSING), REASON)

GEMMA = os.path.join(REPO, "models", "gemma-3-270m-q4_k_m.gguf")


def lisa_binary() -> str:
    """$LISA_BIN (scripts/test sets the release build's), else the release then the debug build. A missing binary is
    an error, never a skip (as Sources/TestSupport/LisaBinary.swift)."""
    for p in [os.environ.get("LISA_BIN"), os.path.join(REPO, ".build", "release", "lisa"),
              os.path.join(REPO, ".build", "debug", "lisa")]:
        if p and os.access(p, os.X_OK):
            return p
    raise AssertionError("lisa is not built (no $LISA_BIN, .build/release/lisa or .build/debug/lisa): "
                         "scripts/setup builds it")


def lisa(*args: str, cwd: str | None = None) -> subprocess.CompletedProcess:
    r = subprocess.run([lisa_binary(), *args], cwd=cwd, capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        raise AssertionError(f"lisa {' '.join(args)} exited {r.returncode}:\n{r.stderr[-3000:]}")
    return r


@functools.lru_cache(maxsize=None)
def workdir() -> str:
    return tempfile.mkdtemp(prefix="lisa-torch-test-")


@functools.lru_cache(maxsize=None)
def tiny_model() -> dict:
    """A tiny Gemma 3 GGUF (layers 0-4 sliding with window 8, 5 global), a corpus, and two sharing configs:
    `mixed` (LiSA 2, 3 — 3 shares from a LiSA layer — and DS 4) and `lisa_only` (LiSA 2, 3)."""
    from lisa_torch.base import sha256_of
    from tiny_gguf import write_tiny_gemma3

    d = workdir()
    gguf = os.path.join(d, "tiny.gguf")
    write_tiny_gemma3(gguf, context=4096)
    sha = sha256_of(gguf)
    rnd = random.Random(3)
    words = "the a of and then here in over under three four dog cat sat mat hat quick brown fox jumps lazy".split()
    corpus = os.path.join(d, "corpus.txt")
    with open(corpus, "w") as f:
        for _ in range(200):
            f.write(" ".join(rnd.choice(words) for _ in range(rnd.randint(8, 30))) + "\n")

    def config(name: str, layers: list[tuple[int, str]]) -> str:
        path = os.path.join(d, name + ".json")
        with open(path, "w") as f:
            json.dump({"model_sha256": sha, "arch": "gemma3", "n_layers": 6, "layers": [
                {"index": i, "mode": m, "source": i - 1, "reason": f"test {m} / {name}"} for i, m in layers]}, f)
        return path
    return {"dir": d, "gguf": gguf, "sha": sha, "corpus": corpus, "cache": os.path.join(d, "tokens"),
            "mixed": config("mixed", [(2, "lisa"), (3, "lisa"), (4, "ds")]),
            "lisa_only": config("lisa_only", [(2, "lisa"), (3, "lisa")])}


def token_file(m: dict) -> str:
    """The token cache `lisa train --token-cache` wrote for the tiny corpus (one per corpus and model)."""
    files = [f for f in os.listdir(m["cache"]) if f.endswith(".tokens")]
    assert len(files) == 1, f"expected one token cache file in {m['cache']}, found {files}"
    return os.path.join(m["cache"], files[0])


def rel_norm(a, b) -> float:
    """|a − b| / |b| (Frobenius); 0 when both are exactly zero."""
    nb = float(b.double().norm())
    nd = float((a.double() - b.double()).norm())
    return 0.0 if nd == 0 else nd / max(nb, 1e-300)


def load_dump(path: str):
    from lisa_torch.checkpoint import load
    return load(path)
