"""lisa_torch's parts against hand-computed values and the properties the Swift trainer guarantees."""
from __future__ import annotations

import math
import os
import unittest

from support import needs_torch, tiny_model


@needs_torch
class UnitTests(unittest.TestCase):
    def test_splitmix_stream_matches_reference_values(self):
        import numpy as np
        from lisa_torch.rng import GaussianRNG
        g = GaussianRNG(0)
        # SplitMix64's published first outputs for seed 0 (Vigna's reference splitmix64.c)
        u = g._uniform(3)
        expected = [0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4, 0x06C45D188009454F]
        self.assertEqual(list(u), [float(np.uint64(x) >> np.uint64(11)) * 2.0 ** -53 for x in expected])
        # Box–Muller on the next two draws, by hand in float64
        g2 = GaussianRNG(0)
        g2.drawn = 3
        u1, u2 = g2._uniform(2)
        z = GaussianRNG(0)
        z.drawn = 3
        self.assertEqual(float(z.normal(1)[0]),
                         float(np.float32(math.sqrt(-2 * math.log(u1)) * math.cos(2 * math.pi * u2))))

    def test_default_rank_and_schedule_by_hand(self):
        from lisa_torch.layer import default_rank
        from lisa_torch.optim import Settings, learning_rate
        self.assertEqual([default_rank(d) for d in (128, 256, 64, 16)], [20, 40, 10, 2])
        s = Settings(lr=1.0, warmup_steps=2, total_steps=6)
        got = [learning_rate(s, i) for i in range(7)]
        want = [0.5, 1.0, 1.0, 0.5 * (1 + math.cos(math.pi / 4)), 0.5, 0.5 * (1 + math.cos(3 * math.pi / 4)), 0.0]
        for g, w in zip(got, want):
            self.assertAlmostEqual(g, w, places=12)

    def test_align_ffn_ds_equivalent_init_passes_a_prev_through(self):
        import torch
        from lisa_torch.layer import AlignFFN
        from lisa_torch.rng import GaussianRNG
        x = torch.randn(50, 8) * 3
        for kind in ("dl", "dl-silu", "sl"):
            f = AlignFFN(kind, 4, hidden=16)
            f.init_ds_equivalent(GaussianRNG(1))
            # act(x) − act(−x) = x for ReLU and SiLU: exact up to one rounding of the sum
            torch.testing.assert_close(f(x), x[:, :4], rtol=0, atol=1e-6, msg=kind)
        f = AlignFFN("plus", 4)
        torch.testing.assert_close(f(x), x[:, :4] + x[:, 4:], rtol=0, atol=0)

    def test_huber_and_mask_by_hand(self):
        import torch
        from lisa_torch.network import huber_mean, visible_mask
        vis = visible_mask(4, 2, "cpu")
        self.assertEqual(vis.int().tolist(), [[1, 0, 0, 0], [1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 1, 1]])
        a = torch.zeros(1, 1, 4, 4)
        b = torch.zeros(1, 1, 4, 4)
        b[0, 0, 1, 0], b[0, 0, 3, 3] = 0.5, 3.0        # ½·0.25 and 1·(3 − ½) over 7 visible entries
        self.assertAlmostEqual(float(huber_mean(a, b, vis, 1.0)), (0.125 + 2.5) / 7, places=6)

    def test_windows_cut_like_swift(self):
        import numpy as np
        from lisa_torch.data import Windows
        w = Windows(np.arange(10, 20), seq_len=4, count=5, bos=1)       # 3-token bodies: 3 windows fit
        self.assertEqual(w.windows.tolist(), [[1, 10, 11, 12], [1, 13, 14, 15], [1, 16, 17, 18]])
        self.assertEqual(w.batch(1, 2).tolist(), [[1, 16, 17, 18], [1, 10, 11, 12]])
        self.assertEqual(Windows(np.arange(5), seq_len=2, count=9, bos=None).windows.tolist(), [[0, 1], [2, 3]])

    def test_sharing_json_is_swifts_text(self):
        from lisa_torch.sharing import Layer, SharingConfig
        c = SharingConfig("ab", "gemma3", 6, (Layer(2, "lisa", 1, "a/b é"), Layer(3, "standard", None, "x")))
        # as Swift's JSONEncoder(.sortedKeys) writes it: "/" escaped, UTF-8 kept, nil source left out
        self.assertEqual(c.swift_json(), '{"arch":"gemma3","layers":[{"index":2,"mode":"lisa","reason":"a\\/b é",'
                                         '"source":1},{"index":3,"mode":"standard","reason":"x"}],'
                                         '"model_sha256":"ab","n_layers":6}')

    def test_step0_equals_direct_sharing(self):
        """At the DS-equivalent init the network's logits equal DS on the LiSA layers (FFN passes A_{n-1},
        the low-rank branch enters with zero weight)."""
        import torch
        from lisa_torch.base import load_base
        from lisa_torch.network import LiSANetwork
        from lisa_torch.sharing import Layer, SharingConfig
        m = tiny_model()
        tokens = torch.randint(0, 300, (2, 16), generator=torch.Generator().manual_seed(0))
        for ffn in ("dl", "dl-silu", "sl"):
            base = load_base(m["gguf"])
            lisa = SharingConfig.load(m["mixed"])
            net = LiSANetwork(base, lisa, rank=4, ffn=ffn, hidden=16)
            net.initialize(7)
            got = net.logits(tokens)
            ds = SharingConfig(lisa.model_sha256, "gemma3", 6, tuple(Layer(l.index, "ds", l.source, "")
                                                                     for l in lisa.layers))
            want = LiSANetwork(base, ds, rank=4).logits(tokens)
            torch.testing.assert_close(got, want, rtol=0, atol=2e-5, msg=ffn)
            std = LiSANetwork(base, SharingConfig(lisa.model_sha256, "gemma3", 6, ()), rank=4).logits(tokens)
            self.assertGreater(float((std - want).abs().max()), 1e-2)     # DS is not the original model

    def test_bf16_autocast_path_runs_close_to_fp32(self):
        """The GPU path (bf16 autocast) on CPU: no GPU was lent to this task, so this is its only run here."""
        import torch
        from lisa_torch.base import load_base
        from lisa_torch.network import LiSANetwork
        from lisa_torch.sharing import SharingConfig
        m = tiny_model()
        net = LiSANetwork(load_base(m["gguf"]), SharingConfig.load(m["mixed"]), rank=4)
        net.initialize(0)
        tokens = torch.randint(0, 300, (2, 16), generator=torch.Generator().manual_seed(0))
        for phase in ("local", "joint"):
            want = [float(x.detach()) for x in net(tokens, phase)]
            with torch.autocast("cpu", dtype=torch.bfloat16):
                got = net(tokens, phase)
            got[0].backward()
            for g, w in zip(got, want):
                if not math.isnan(w):
                    self.assertLess(abs(float(g.detach()) - w), 1e-2 * abs(w), f"{phase}: bf16 {float(g)} vs {w}")
            for n, p in net.lisa.named_parameters():
                self.assertEqual(p.grad.dtype, torch.float32, n)
                self.assertTrue(bool(torch.isfinite(p.grad).all()), n)
                p.grad = None

    def test_bad_sharing_config_is_a_sentence(self):
        import contextlib
        import io
        from lisa_torch.train import main
        m = tiny_model()
        bad = os.path.join(m["dir"], "other-model.json")
        with open(bad, "w") as f:
            f.write('{"model_sha256":"00","arch":"gemma3","n_layers":6,"layers":[{"index":2,"mode":"lisa",'
                    '"source":1,"reason":""}]}')
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            rc = main(["--model", m["gguf"], "--config", bad, "--tokens", "64", "--seq-len", "16",
                       "--token-file", "/nonexistent", "--out", os.path.join(m["dir"], "x.safetensors")])
        self.assertEqual(rc, 1)
        self.assertIn(f"was made for a model with SHA-256 00, but the base model has {m['sha']}", err.getvalue())
        junk = os.path.join(m["dir"], "junk.gguf")
        with open(junk, "wb") as f:
            f.write(b"not a gguf file at all")
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            rc = main(["--model", junk, "--layers", "2", "--tokens", "64", "--out", os.path.join(m["dir"], "y.st")])
        self.assertEqual(rc, 1)
        self.assertIn(f"{junk} cannot be loaded as a causal LM", err.getvalue())


if __name__ == "__main__":
    unittest.main()
