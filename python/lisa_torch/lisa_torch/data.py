"""Training windows as Sources/LiSA/TrainingData.swift cuts them: the documents' tokens (no BOS) concatenated in
file order, corpus after corpus, cut into windows of seq_len − 1 tokens, each prefixed with BOS (seq_len tokens
without a BOS); batch s of size B is windows[(s·B + i) mod count]. No shuffling.

Tokens come from `lisa train`'s token cache files (exactly the Swift tokenizer's ids; layout "LISATOK1",
documents u64, count u64, count × i32, little-endian) or from the Hugging Face tokenizer of the model (the GGUF's
vocabulary converted by transformers, which may split rare strings differently from the workbench's tokenizer)."""
from __future__ import annotations

import json
import os
import struct

import numpy as np

MAGIC = b"LISATOK1"


class DataError(Exception):
    """A corpus or token file that cannot be used, as a sentence naming the file."""


def read_token_cache(path: str) -> np.ndarray:
    """The token stream of a `lisa train` cache file (~/.cache/lisa/tokens/<corpus>-<key>.tokens)."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise DataError(f"The token file {path} cannot be read: {e.strerror}.") from None
    if len(data) < 24 or data[:8] != MAGIC:
        raise DataError(f"{path} is not a lisa token file (no LISATOK1 header).")
    _docs, n = struct.unpack("<QQ", data[8:24])
    if len(data) != 24 + 4 * n:
        raise DataError(f"{path} is damaged: it announces {n} tokens but holds {(len(data) - 24) // 4}.")
    return np.frombuffer(data, dtype="<i4", offset=24).astype(np.int64)


def documents(path: str) -> list[str]:
    """JSONL "text" fields, or the non-blank lines (with their newline) of a plain-text file."""
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().split("\n")
    except OSError as e:
        raise DataError(f"The corpus {path} cannot be read: {e.strerror}.") from None
    if path.endswith(".jsonl"):
        out = []
        for i, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                out.append(json.loads(line)["text"])
            except (ValueError, KeyError, TypeError):
                raise DataError(f"{path}:{i} is not a JSON object with a \"text\" string.") from None
        return out
    return [l + "\n" for l in lines if l.strip()]


def resolve_corpus(path: str, data_dir: str | None) -> str:
    """As `lisa train`: a path that does not exist as given is read from --data ($LISA_DATA, else ../shared/data)."""
    if os.path.exists(path) or os.path.isabs(path):
        return path
    d = data_dir or os.environ.get("LISA_DATA") or "../shared/data"
    return os.path.join(d, path)


def tokenize_corpora(paths: list[str], tokenizer, needed: int) -> np.ndarray:
    """Concatenated ids of the corpora's documents (no BOS), stopping once `needed` tokens exist."""
    out: list[int] = []
    for p in paths:
        for doc in documents(p):
            out.extend(tokenizer.encode(doc, add_special_tokens=False))
            if len(out) >= needed:
                return np.asarray(out, dtype=np.int64)
    return np.asarray(out, dtype=np.int64)


class Windows:
    def __init__(self, stream: np.ndarray, seq_len: int, count: int, bos: int | None):
        body = seq_len if bos is None else seq_len - 1
        n = min(count, len(stream) // body)
        if n == 0:
            raise DataError(f"The training tokens ({len(stream)}) are fewer than one window of {seq_len}.")
        w = stream[: n * body].reshape(n, body)
        if bos is not None:
            w = np.concatenate([np.full((n, 1), bos, dtype=np.int64), w], axis=1)
        self.windows = w            # [n, seq_len]

    def __len__(self) -> int:
        return len(self.windows)

    def batch(self, step: int, size: int) -> np.ndarray:
        """[size, seq_len]: windows (step·size + i) mod count."""
        idx = (step * size + np.arange(size)) % len(self.windows)
        return self.windows[idx]
