"""Two checks on the real Gemma 3 270M (Q4_K_M, its k-quants dequantized by gguf-py in transformers and by the Swift
engine): a joint step (β = 0.25, LiSA on layers 7 and 8, 2 × 32 tokens of the shared text corpus) gives the same
L_KD, L_LM and total, and the same alignment-FFN gradients, in both trainers. At the DS-equivalent init W_LR's
gradient is exactly zero in both. And transformers' tokenizer from the GGUF gives the Swift tokenizer's ids."""
from __future__ import annotations

import os
import unittest

from support import GEMMA, REPO, load_dump, lisa, needs_torch, rel_norm, workdir

DATA = os.environ.get("LISA_DATA") or os.path.join(REPO, "..", "shared", "data")
HAVE = os.path.exists(GEMMA) and os.path.exists(os.path.join(DATA, "text_corpus", "train.jsonl"))


@needs_torch
@unittest.skipUnless(HAVE, f"{os.path.relpath(GEMMA, REPO)} or the shared text corpus is absent (scripts/setup "
                           "installs the model)")
class GemmaTests(unittest.TestCase):
    def test_joint_step_on_gemma_equals_swift(self):
        import torch
        from lisa_torch.train import Run, build_parser
        d = os.path.join(workdir(), "gemma")
        os.makedirs(d, exist_ok=True)
        common = ["--model", GEMMA, "--layers", "7,8", "--tokens", "64", "--seq-len", "32", "--batch", "2",
                  "--phase", "joint"]
        lisa("train", GEMMA, *common[2:], "--data", DATA, "--token-cache", f"{d}/tokens", "--out", f"{d}/unused.safetensors",
             "--dump-step", f"{d}/step0.st", "--threads", "2")
        tensors, meta = load_dump(f"{d}/step0.st")
        tok = [os.path.join(d, "tokens", f) for f in os.listdir(f"{d}/tokens")]
        run = Run(build_parser().parse_args(common + ["--token-file", tok[0], "--out", f"{d}/torch.safetensors"]),
                  log=lambda s: None)
        tokens = run.local_batch(0)
        self.assertEqual(tokens.tolist(), tensors["tokens"].long().tolist())
        for n, p in run.net.lisa.named_parameters():
            self.assertTrue(torch.equal(p.detach(), tensors[f"param.layers.{n}"]), n)
        total, kd, lm = run.net(tokens, "joint", 0.25)
        total.backward()
        report = []
        for name, got in [("total", total.detach()), ("kd", kd), ("lm", lm)]:
            r = abs(float(got) - float(meta[name])) / abs(float(meta[name]))
            report.append(f"{name} {float(got):.6f} vs {float(meta[name]):.6f}")
            self.assertLessEqual(r, 1e-4, f"{name}: torch {float(got)} vs swift {meta[name]}")
        worst = 0.0
        for n, p in run.net.lisa.named_parameters():
            g = tensors[f"grad.layers.{n}"]
            if n.endswith("_lr"):
                self.assertEqual(float(g.abs().max()), 0.0)
                self.assertEqual(float(p.grad.abs().max()), 0.0)
                continue
            worst = max(worst, rel_norm(p.grad, g))
            self.assertLessEqual(rel_norm(p.grad, g), 1e-3, n)
        print(f"  Gemma 3 270M: {'; '.join(report)}; FFN gradients within {worst:.1e}")

    def test_hf_tokenizer_gives_swift_ids_on_the_corpus(self):
        """`--corpus` (transformers' conversion of the GGUF vocabulary) cuts the same windows as `lisa train`."""
        import struct

        from lisa_torch.data import Windows, documents, read_token_cache, tokenize_corpora
        from transformers import AutoTokenizer
        d = os.path.join(workdir(), "gemma-tokens")
        lisa("train", GEMMA, "--layers", "7,8", "--tokens", "40960", "--seq-len", "128", "--batch", "4",
             "--phase", "local", "--data", DATA, "--token-cache", f"{d}/tokens", "--out", f"{d}/unused.safetensors",
             "--dump-step", f"{d}/step0.st", "--threads", "2")
        cache = os.path.join(d, "tokens", os.listdir(f"{d}/tokens")[0])
        swift = read_token_cache(cache)
        with open(cache, "rb") as f:
            n_docs = struct.unpack("<Q", f.read(16)[8:])[0]
        folder, name = os.path.split(GEMMA)
        tok = AutoTokenizer.from_pretrained(folder, gguf_file=name)
        corpus = os.path.join(DATA, "text_corpus", "train.jsonl")
        self.assertGreater(len(documents(corpus)), n_docs)
        hf = tokenize_corpora([corpus], tok, len(swift))
        self.assertEqual(hf.tolist(), swift.tolist())
        tensors, _ = load_dump(f"{d}/step0.st")
        self.assertEqual(Windows(hf, 128, 4, 2).batch(0, 4).tolist(), tensors["tokens"].long().tolist())
        print(f"  Gemma 3 270M: the HF tokenizer gives Swift's {len(swift)} ids on the corpus's first {n_docs} "
              "documents")


if __name__ == "__main__":
    unittest.main()
