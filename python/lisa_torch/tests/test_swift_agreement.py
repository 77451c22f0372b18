"""The two trainers agree (issue 20 item 4): the Swift `lisa train` and lisa_torch on the same tiny Gemma 3 GGUF,
the same initial weights and the same batches give the same L_KD, L_LM and total (≤ 1e-4 relative) and the same
gradient of every LiSA tensor (≤ 1e-3 relative, Frobenius); a checkpoint trained in PyTorch loads in Swift and gives
PyTorch's logits (≤ 1e-3); `lisa generate --lisa` runs it and picks PyTorch's greedy tokens.

The Swift side comes from `lisa train … --dump-step FILE` (a hidden diagnostic: one step's losses, gradients,
parameters and batch, no update) and its token cache, which lisa_torch reads (`--token-file`) for identical windows."""
from __future__ import annotations

import json
import os
import re
import shutil
import unittest

from support import load_dump, lisa, needs_torch, rel_norm, tiny_model, token_file

SEQ, BATCH, RANK, LR, SEED = 16, 4, 4, 1e-2, 1234


def swift_train(m: dict, config: str, out: str, tokens: int, *extra: str):
    return lisa("train", m["gguf"], "--config", config, "--tokens", str(tokens), "--seq-len", str(SEQ),
                "--batch", str(BATCH), "--rank", str(RANK), "--lr", str(LR), "--corpus", m["corpus"],
                "--token-cache", m["cache"], "--out", out, "--threads", "1", "--seed", str(SEED), *extra)


def torch_args(m: dict, config: str, out: str, tokens: int, *extra: str):
    from lisa_torch.train import build_parser
    return build_parser().parse_args(["--model", m["gguf"], "--config", config, "--tokens", str(tokens),
                                      "--seq-len", str(SEQ), "--batch", str(BATCH), "--rank", str(RANK),
                                      "--lr", str(LR),
                                      "--token-file", token_file(m), "--out", out, "--seed", str(SEED), *extra])


def swift_losses(stderr: str) -> list[tuple[float, ...]]:
    """(L_KD,) for local steps and (L, L_KD, L_LM) for joint ones, from `lisa train`'s step lines."""
    out = []
    for line in stderr.splitlines():
        if re.match(r"step \d+/\d+ ", line):
            vals = re.findall(r"L(?:_KD|_LM)? (-?[0-9.]+(?:e[-+]?\d+)?)", line)
            out.append(tuple(float(v) for v in vals))
    return out


@needs_torch
class SwiftAgreementTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        import torch
        torch.set_num_threads(1)
        m = cls.m = tiny_model()
        d = cls.d = os.path.join(m["dir"], "agreement")
        os.makedirs(d, exist_ok=True)
        both = ("--phase", "both", "--joint-share", "0.5")
        # 4 steps: 2 local, 2 joint (β = 0.25)
        cls.swift_run = swift_train(m, m["mixed"], f"{d}/swift.safetensors", 4 * BATCH * SEQ, *both).stderr
        swift_train(m, m["mixed"], f"{d}/unused.safetensors", 4 * BATCH * SEQ, *both, "--dump-step", f"{d}/step0.st")
        # the trained state (non-DS weights, so every gradient is non-zero): a joint step and a local step
        swift_train(m, m["mixed"], f"{d}/swift.safetensors", 4 * BATCH * SEQ, *both, "--resume",
                    "--dump-step", f"{d}/joint4.st")
        swift_train(m, m["mixed"], f"{d}/swift.safetensors", 8 * BATCH * SEQ, "--phase", "local", "--resume",
                    "--dump-step", f"{d}/local4.st")

    def network(self, config: str):
        from lisa_torch.base import load_base
        from lisa_torch.network import LiSANetwork
        from lisa_torch.sharing import SharingConfig
        return LiSANetwork(load_base(self.m["gguf"]), SharingConfig.load(config), rank=RANK)

    def compare_step(self, dump: str, phase: str):
        import torch
        tensors, meta = load_dump(dump)
        self.assertEqual(meta["phase"], phase)
        net = self.network(self.m["mixed"])
        with torch.no_grad():
            for n, p in net.lisa.named_parameters():
                p.copy_(tensors[f"param.layers.{n}"])
        total, kd, lm = net(tensors["tokens"].long(), phase, float(meta["beta"]))
        total.backward()
        worst = 0.0
        for name, got, want in [("total", total.detach(), meta["total"]), ("kd", kd, meta["kd"]),
                                ("lm", lm, meta["lm"])]:
            if want == "nan":
                self.assertTrue(bool(torch.isnan(got)), name)
                continue
            r = abs(float(got) - float(want)) / abs(float(want))
            worst = max(worst, r)
            self.assertLessEqual(r, 1e-4, f"{phase} {name}: torch {float(got)} vs swift {want}")
        grads = []
        for n, p in net.lisa.named_parameters():
            g = tensors[f"grad.layers.{n}"]
            r = rel_norm(p.grad, g)
            grads.append(r)
            self.assertGreater(float(g.norm()), 0, f"{n}: the Swift gradient is zero, nothing is compared")
            self.assertLessEqual(r, 1e-3, f"{phase} gradient of {n}: relative difference {r:.2e}")
        print(f"  {phase} step: losses within {worst:.1e} relative; {len(grads)} gradients within {max(grads):.1e}")

    def test_initial_weights_equal_swift_init(self):
        import torch
        tensors, _ = load_dump(f"{self.d}/step0.st")
        net = self.network(self.m["mixed"])
        net.initialize(SEED)
        for n, p in net.lisa.named_parameters():
            self.assertTrue(torch.equal(p.detach(), tensors[f"param.layers.{n}"]), f"{n} differs from Swift's init")

    def test_step0_losses_and_gradients_equal_swift(self):
        import torch
        tensors, meta = load_dump(f"{self.d}/step0.st")
        net = self.network(self.m["mixed"])
        net.initialize(SEED)
        loss, _, _ = net(tensors["tokens"].long(), "local")
        loss.backward()
        self.assertLessEqual(abs(loss.item() - float(meta["kd"])) / float(meta["kd"]), 1e-4)
        for n, p in net.lisa.named_parameters():
            g = tensors[f"grad.layers.{n}"]
            if n.endswith("_lr"):      # DS-equivalent init: the A_Δ block of W₁ is zero, so W_LR gets exactly 0
                self.assertEqual(float(g.abs().max()), 0.0)
                self.assertEqual(float(p.grad.abs().max()), 0.0)
            else:
                self.assertLessEqual(rel_norm(p.grad, g), 1e-3, n)

    def test_joint_step_losses_and_gradients_equal_swift(self):
        self.compare_step(f"{self.d}/joint4.st", "joint")

    def test_local_step_losses_and_gradients_equal_swift(self):
        self.compare_step(f"{self.d}/local4.st", "local")

    def test_token_windows_equal_swift_batches(self):
        from lisa_torch.train import Run
        r = Run(torch_args(self.m, self.m["mixed"], f"{self.d}/w.safetensors", 4 * BATCH * SEQ), log=lambda s: None)
        for dump, step in [("step0.st", 0), ("joint4.st", 4)]:
            tensors, _ = load_dump(f"{self.d}/{dump}")
            self.assertEqual(r.windows.batch(step, BATCH).tolist(), tensors["tokens"].long().tolist())

    def test_training_run_follows_swift(self):
        """4 steps from the same init: the same loss curve (Swift prints 5 decimals), and one update from Swift's
        checkpoint (moments, step) lands on Swift's next parameters."""
        from lisa_torch.checkpoint import load
        from lisa_torch.train import Run
        logs = []
        out = f"{self.d}/torch.safetensors"
        Run(torch_args(self.m, self.m["mixed"], out, 4 * BATCH * SEQ, "--phase", "both", "--joint-share", "0.5"),
            log=logs.append).train()
        sw, tt = swift_losses(self.swift_run), swift_losses("\n".join(logs))
        self.assertEqual(len(sw), 4)
        self.assertEqual([len(x) for x in sw], [1, 1, 3, 3])
        for s, t in zip(sw, tt):
            for a, b in zip(s, t):
                self.assertLessEqual(abs(a - b), 1e-4 * abs(a) + 1e-5, f"loss curve: swift {s} vs torch {t}")
        # after 4 steps the parameters stay close; Adam normalises a few near-zero gradient coordinates (a ReLU
        # unit at its kink), so this is looser than one step's agreement below
        swift_ck, _ = load(f"{self.d}/swift.safetensors")
        torch_ck, _ = load(out)
        init, _ = load_dump(f"{self.d}/step0.st")
        drift = 0.0
        for k in (k for k in swift_ck if k.startswith("layers.")):
            change = swift_ck[k] - init["param." + k]
            drift = max(drift, rel_norm(torch_ck[k] - init["param." + k], change))
            self.assertLessEqual(drift, 2e-2, k)
        print(f"  4 steps from the same init: parameter changes within {drift:.1e} of Swift's")
        # one more update from Swift's checkpoint in each trainer
        shutil.copy(f"{self.d}/swift.safetensors", f"{self.d}/swift5.safetensors")
        shutil.copy(f"{self.d}/swift.safetensors", f"{self.d}/torch5.safetensors")
        five = ("--phase", "both", "--joint-share", "0.5", "--resume")
        swift_train(self.m, self.m["mixed"], f"{self.d}/swift5.safetensors", 5 * BATCH * SEQ, *five)
        Run(torch_args(self.m, self.m["mixed"], f"{self.d}/torch5.safetensors", 5 * BATCH * SEQ, *five),
            log=lambda s: None).train()
        a, meta_a = load(f"{self.d}/swift5.safetensors")
        b, meta_b = load(f"{self.d}/torch5.safetensors")
        self.assertEqual((meta_a["step"], meta_b["step"]), ("5", "5"))
        worst = 0.0
        for k in (k for k in a if k.startswith("layers.")):
            r = rel_norm(b[k] - swift_ck[k], a[k] - swift_ck[k])
            worst = max(worst, r)
            self.assertLessEqual(r, 1e-4, f"{k}: one update from the same state differs by {r:.2e} of the update")
        print(f"  one update from Swift's checkpoint: within {worst:.1e} of the update")

    def test_torch_checkpoint_runs_in_swift(self):
        """A PyTorch-trained checkpoint: `lisa train --resume` accepts it (same header), the eval/generate path
        (LiSARuntime.load) gives PyTorch's logits, and `lisa generate --lisa` picks PyTorch's greedy tokens."""
        import torch
        from lisa_torch.train import Run
        for config, name in [(self.m["mixed"], "mixed"), (self.m["lisa_only"], "lisa_only")]:
            out = f"{self.d}/torch-{name}.safetensors"
            run = Run(torch_args(self.m, config, out, 3 * BATCH * SEQ, "--phase", "both", "--joint-share", "0.34"),
                      log=lambda s: None)
            run.train()
            copy = f"{self.d}/torch-{name}-copy.safetensors"
            shutil.copy(out, copy)
            swift_train(self.m, config, copy, 3 * BATCH * SEQ, "--phase", "both", "--joint-share", "0.34", "--resume",
                        "--dump-step", f"{self.d}/from-torch-{name}.st")
            tensors, meta = load_dump(f"{self.d}/from-torch-{name}.st")
            self.assertEqual(meta["step"], "3")
            tokens = tensors["tokens"].long()[:1]
            got = tensors["runtime_logits"]
            want = run.net.logits(tokens)[0]
            diff = float((got - want).abs().max())
            print(f"  {name}: Swift runtime logits vs PyTorch: max |Δ| {diff:.1e} (max |logit| "
                  f"{float(want.abs().max()):.1f})")
            self.assertLessEqual(diff, 1e-3 * max(1.0, float(want.abs().max())))
        # lisa generate runs the LiSA-only checkpoint (its runtime does not apply a config's DS layers)
        r = lisa("generate", self.m["gguf"], "--lisa", f"{self.d}/torch-lisa_only.safetensors", "--prompt",
                 "the quick brown fox", "-n", "6", "--greedy", "--json", "--products", "exact", "--kv", "f32",
                 "--ignore-eos")
        g = json.loads(r.stdout)
        ids = list(g["prompt_ids"])
        for _ in range(6):
            ids.append(int(run.net.logits(torch.tensor([ids]))[0, -1].argmax()))
        self.assertEqual(g["ids"], ids[len(g["prompt_ids"]):])


if __name__ == "__main__":
    unittest.main()
