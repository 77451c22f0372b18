"""`torchrun --nproc-per-node 2` (gloo, CPU) follows the same loss curve as one process with the same global batch:
each process runs half of every batch and DDP averages the gradients."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import unittest

from support import REPO, lisa, needs_torch, rel_norm, tiny_model, token_file

SEQ, BATCH, STEPS = 16, 4, 4


@needs_torch
class DistributedTests(unittest.TestCase):
    def test_two_processes_follow_one_process_curve(self):
        from lisa_torch.checkpoint import load
        from lisa_torch.train import build_parser, Run
        m = tiny_model()
        d = os.path.join(m["dir"], "ddp")
        os.makedirs(d, exist_ok=True)
        if not os.path.isdir(m["cache"]):      # the token file comes from lisa train's cache
            lisa("train", m["gguf"], "--config", m["mixed"], "--tokens", str(BATCH * SEQ), "--seq-len",
                 str(SEQ), "--batch", str(BATCH), "--corpus", m["corpus"], "--token-cache", m["cache"],
                 "--out", os.path.join(d, "warm.safetensors"), "--phase", "local")
        common = ["--model", m["gguf"], "--config", m["mixed"], "--tokens", str(STEPS * BATCH * SEQ), "--seq-len",
                  str(SEQ), "--batch", str(BATCH), "--rank", "4", "--lr", "1e-2", "--phase", "both",
                  "--joint-share", "0.5", "--token-file", token_file(m)]
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([os.path.join(REPO, "python", "lisa_torch"),
                                                            os.environ.get("PYTHONPATH", "")]),
                   HF_HUB_DISABLE_PROGRESS_BARS="1", OMP_NUM_THREADS="1")
        torchrun = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2", "--master-addr",
                    "127.0.0.1", "--master-port", str(29400 + os.getpid() % 500), "-m", "lisa_torch.train"]
        r = subprocess.run(torchrun + common + ["--out", f"{d}/two.safetensors", "--log-json", f"{d}/two.jsonl",
                                                "--threads", "1"], env=env, capture_output=True, text=True, timeout=600)
        self.assertEqual(r.returncode, 0, r.stderr[-3000:])
        self.assertIn("2 processes on cpu", r.stderr)
        one = Run(build_parser().parse_args(common + ["--out", f"{d}/one.safetensors"]), log=lambda s: None)
        curve = []
        while one.opt.step < one.steps:
            curve.append(one.step())
        one.save()
        with open(f"{d}/two.jsonl") as f:
            two = [json.loads(l) for l in f]
        self.assertEqual([x["phase"] for x in two], ["local", "local", "joint", "joint"])
        worst = 0.0
        for a, b in zip(curve, two):
            for k in ("total", "kd", "lm"):
                if b[k] is None:
                    continue
                worst = max(worst, abs(a[k] - b[k]) / abs(a[k]))
                self.assertLessEqual(abs(a[k] - b[k]), 1e-5 * abs(a[k]), f"step {a['step']} {k}: {a[k]} vs {b[k]}")
        p1, _ = load(f"{d}/one.safetensors")
        p2, meta = load(f"{d}/two.safetensors")
        self.assertIn("2 processes", meta["trainer"])
        drift = max(rel_norm(p2[k], p1[k]) for k in p1 if k.startswith("layers."))
        self.assertLessEqual(drift, 1e-4)
        print(f"  2 processes vs 1: losses within {worst:.1e} relative, parameters within {drift:.1e}")


if __name__ == "__main__":
    unittest.main()
