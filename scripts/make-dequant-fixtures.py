#!/usr/bin/env python3
"""Reference dequantization fixtures for Tests/GGUFTests, from an implementation independent of ours:
the `gguf` Python package (gguf.GGUFReader, gguf.quants.dequantize; made with gguf 0.19.0) and numpy.

Run from the repository root (takes about a minute):

    python3 scripts/make-dequant-fixtures.py            # needs models/gemma-3-270m-q4_k_m.gguf
                                                        # (and models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf
                                                        #  for dequant_qwen2.json; skipped when absent)
Writes:
  Tests/Fixtures/dequant_gemma3.json     every tensor of the Gemma 3 270M file
  Tests/Fixtures/dequant_qwen2.json      the smallest tensor of each type in the Qwen2.5-Coder 1.5B file
  Tests/Fixtures/dequant_synthetic.json  seeded random blocks of every supported type (types the model
                                         files lack: F16, BF16, Q4_0, Q4_1, Q5_1, Q2_K, Q3_K, Q5_K), and
                                         gguf.quants.quantize's F16/BF16/Q8_0 bytes for seeded inputs
Per tensor: name, type, element count, the first 256 values (ggml order), and the float64 sum and sum of
squares of all values. Floats are the shortest decimal that reads back as the same float32 even through
a float64 parse (checked here; otherwise the exact float64 repr is written).
"""
import json
import os
import sys
from importlib.metadata import version

import numpy as np
import gguf
from gguf.quants import dequantize, quantize

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
FIX = os.path.join(ROOT, "Tests", "Fixtures")
GEMMA = os.path.join(ROOT, "models", "gemma-3-270m-q4_k_m.gguf")
QWEN = os.path.join(ROOT, "models", "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf")
T = gguf.GGMLQuantizationType


class Raw(float):
    """A float that json_text writes as its chosen decimal text."""
    def __new__(cls, text):
        o = float.__new__(cls, float(text))
        o.text = text
        return o

    def __repr__(self):
        return self.text


def f32_text(x):
    x = np.float32(x)
    s = np.format_float_positional(x, unique=True, trim="-")
    if np.float32(float(s)) != x or np.isnan(x):
        s = repr(float(x))
    if x == 0:
        s = "-0.0" if np.signbit(x) else "0"  # keep the sign of zero (q·d with d < 0 gives -0 in ggml)
    return s


def encode(values):
    return [Raw(f32_text(v)) for v in values]


def record(name, ttype, values):
    v = np.asarray(values, dtype=np.float32).reshape(-1)
    d = v.astype(np.float64)
    return {"name": name, "type": ttype, "count": int(v.size),
            "first": encode(v[:256]), "sum": float(d.sum()), "sumsq": float((d * d).sum())}


def tensor_values(t):
    return dequantize(np.asarray(t.data), t.tensor_type)


def json_text(obj, indent=0):
    pad = " " * indent
    if isinstance(obj, Raw):
        return obj.text
    if isinstance(obj, dict):
        items = [f'{pad} {json.dumps(k)}: {json_text(v, indent + 1).lstrip()}' for k, v in obj.items()]
        return pad + "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(obj, list):
        if all(isinstance(x, (Raw, int, float)) for x in obj):
            return pad + "[" + ",".join(json_text(x) for x in obj) + "]"
        return pad + "[\n" + ",\n".join(json_text(x, indent + 1) for x in obj) + "\n" + pad + "]"
    if isinstance(obj, float):
        return repr(obj)
    return pad + json.dumps(obj)


def write(path, obj):
    with open(path, "w") as f:
        f.write(json_text(obj) + "\n")
    json.load(open(path))  # must parse
    print(f"{path}: {os.path.getsize(path)} bytes")


def model_fixture(path, every):
    r = gguf.GGUFReader(path)
    chosen = r.tensors
    if not every:  # the smallest tensor of each type
        best = {}
        for t in r.tensors:
            k = t.tensor_type
            if k not in best or t.n_elements < best[k].n_elements:
                best[k] = t
        chosen = [t for t in r.tensors if best.get(t.tensor_type) is t]
    out = []
    for t in chosen:
        out.append(record(t.name, t.tensor_type.name, tensor_values(t)))
    return {"file": os.path.basename(path), "generator": "gguf " + version("gguf") + ", numpy " + np.__version__,
            "tensors": out}


# Byte offsets of the f16 scale fields in each block (ggml-common.h); random bytes there would give
# NaN/inf, so they get sane random halves instead.
HALF_FIELDS = {T.Q4_0: [0], T.Q4_1: [0, 2], T.Q5_0: [0], T.Q5_1: [0, 2], T.Q8_0: [0],
               T.Q2_K: [80, 82], T.Q3_K: [108], T.Q4_K: [0, 2], T.Q5_K: [0, 2], T.Q6_K: [208]}


def synthetic():
    rng = np.random.default_rng(20260)
    out = []
    for qt in [T.F16, T.BF16, T.Q4_0, T.Q4_1, T.Q5_0, T.Q5_1, T.Q8_0, T.Q2_K, T.Q3_K, T.Q4_K, T.Q5_K, T.Q6_K]:
        bsize, bbytes = gguf.GGML_QUANT_SIZES[qt]
        if qt == T.F16:
            vals = np.concatenate([rng.normal(0, 2, 250), [0.0, -0.0, 6e-8, -3e-5, 65504, -1e-7]]).astype(np.float16)
            raw = vals.view(np.uint8)
        elif qt == T.BF16:
            vals = (rng.normal(0, 1, 256).astype(np.float32) * np.float32(10) ** rng.integers(-20, 20, 256).astype(np.float32))
            raw = (vals.view(np.uint32) >> 16).astype(np.uint16).view(np.uint8)
        else:
            nblocks = max(1, 512 // bsize) if bsize == 256 else 8
            raw = rng.integers(0, 256, (nblocks, bbytes), dtype=np.uint8)
            for off in HALF_FIELDS[qt]:
                h = (rng.normal(0, 0.05, nblocks)).astype(np.float16)
                raw[:, off:off + 2] = h.view(np.uint8).reshape(nblocks, 2)
            raw = raw.reshape(-1)
        values = dequantize(raw.copy(), qt)
        rec = record("synthetic." + qt.name, qt.name, values)
        rec["first"] = encode(np.asarray(values, np.float32).reshape(-1))  # all values (≤ 512)
        rec["hex"] = bytes(raw).hex()
        out.append(rec)
    return {"generator": "gguf.quants.dequantize on seeded random blocks", "tensors": out, "quantize": quantized(rng)}


def quantized(rng):
    """Seeded Float32 inputs (with exact ties, zeros, an all-zero block, subnormals and out-of-range
    values) and their bytes from gguf.quants.quantize, for GGUFWriter.quantize."""
    x = (rng.normal(0, 1, 512) * np.float32(10) ** rng.integers(-6, 6, 512)).astype(np.float32)
    x[:32] = 0
    x[32:64] = np.arange(-16, 16, dtype=np.float32) * np.float32(127 / 16)  # q8_0 ties at .5
    x[64:72] = np.array([1 + 2**-11, 1 + 3 * 2**-11, 65519, 65520, -1e6, 2**-25, 3 * 2**-26, 1e-40], np.float32)
    out = []
    for qt in [T.F16, T.BF16, T.Q8_0]:
        with np.errstate(over="ignore"):  # 65520 and -1e6 overflow to ±inf in F16 on purpose
            q = np.asarray(quantize(x, qt)).view(np.uint8).reshape(-1)
        out.append({"type": qt.name, "hex": bytes(q).hex()})
    return {"input": x.view(np.uint8).tobytes().hex(), "outputs": out}


def main():
    os.makedirs(FIX, exist_ok=True)
    write(os.path.join(FIX, "dequant_synthetic.json"), synthetic())
    write(os.path.join(FIX, "dequant_gemma3.json"), model_fixture(GEMMA, every=True))
    if os.path.exists(QWEN):
        write(os.path.join(FIX, "dequant_qwen2.json"), model_fixture(QWEN, every=False))
    else:
        print(f"SKIP: {QWEN} absent, dequant_qwen2.json not rewritten", file=sys.stderr)


if __name__ == "__main__":
    main()
