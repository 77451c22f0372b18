#!/usr/bin/env python3
"""Builds the Table 2-style markdown of report.md from the `lisa eval --out` JSON files in runs/.

runs/<method>-<task>.json for method in original, ds, lisa, ds-lora, lisa-sl (missing files are skipped).
Conventions (FIGURES.md C8/C9, issue 17 item 6; the Swift twin is Sources/Analysis/Preserved.swift, tested
with the paper's own LLaMA3-8B rows):
- one primary metric per task: acc_norm for PIQA, ARC-E, HellaSwag, OBQA; acc for BoolQ, MMLU; exact match for
  generation; LAMBADA is reported apart (perplexity and accuracy) and is never averaged;
- Avg. Perf. Preserved = 100 × mean over the scored benchmarks of method / original (uncapped), over the tasks every
  listed method has, leaving out a task whose original scores 0 (ratio undefined) and a task whose runs are stale;
- BoolQ: the majority-class rate of the same documents is printed beside the score (a model at that rate may be
  answering "yes" throughout).
The paired tables compare LiSA (DL), LiSA_SL and DS on the same documents (mean per-document difference ± s.e.)."""
import json, math, os, sys

here = os.path.dirname(os.path.abspath(__file__))
runs = os.path.join(here, "runs")
methods = [m for m in (sys.argv[1].split(",") if len(sys.argv) > 1 else ["original", "ds", "ds-lora", "lisa", "lisa-sl"])]
tasks = [("piqa", "acc_norm"), ("boolq", "acc"), ("arc_easy", "acc_norm"), ("hellaswag", "acc_norm"), ("lambada", "acc"),
         ("gsm8k", "exact_match")]
# LAMBADA is not a scored benchmark of Table 2's average (its perplexity and accuracy are reported apart)
scored = {"piqa", "boolq", "arc_easy", "hellaswag", "openbookqa", "mmlu", "gsm8k", "triviaqa", "nq_open"}
# runs measured on data that has since been corrected: shown, marked †, not averaged until re-measured
stale = {"arc_easy": "measured on the ARC-Easy file replaced 2026-12-01 (71 wrong gold answers, "
                     "../shared/data/arc_easy/PROVENANCE.md); re-measure"}

def load(m, t):
    p = os.path.join(runs, f"{m}-{t}.json")
    return json.load(open(p)) if os.path.exists(p) else None

def per_doc(r, metric):
    # LAMBADA's perplexity is exp(−mean per-document log-likelihood): compare the log-likelihoods
    key = "ll" if metric == "perplexity" else metric
    return {d["index"]: (d["logLikelihoods"][0] if key == "ll" else d["scores"][metric]) for d in r["documents"]}

def paired(a, b, metric):
    da, db = per_doc(a, metric), per_doc(b, metric)
    common = sorted(set(da) & set(db))
    diffs = [da[i] - db[i] for i in common]
    n = len(diffs); mean = sum(diffs) / n
    var = sum((x - mean) ** 2 for x in diffs) / (n - 1) if n > 1 else float("nan")
    return mean, math.sqrt(var / n), n

res = {(m, t): load(m, t) for m in methods for t, _ in tasks}
# the average runs over the tasks every listed method has, so the averages compare like with like
# and over tasks where the original scores above 0 (a ratio to 0 is undefined: GSM8K on a 270M model)
common = [(t, metric) for t, metric in tasks if t in scored and t not in stale
          and all(res[(m, t)] is not None for m in methods) and res[("original", t)]["metrics"][metric] > 0]
hdr = "| method | " + " | ".join(f"{t} {metric}{' †' if t in stale else ''}" for t, metric in tasks) + " | LAMBADA ppl | avg preserved % |"
print(hdr); print("|---" * (len(tasks) + 3) + "|")
for m in methods:
    cells, pres = [], []
    for t, metric in tasks:
        r, o = res[(m, t)], res[("original", t)]
        if r is None: cells.append("—"); continue
        v = r["metrics"][metric]
        se = r["standardErrors"].get(metric)
        cells.append(f"{100 * v:.1f} ± {100 * se:.1f}" if se is not None else f"{100 * v:.1f}")
        if (t, metric) in common: pres.append(100 * v / o["metrics"][metric])
    lam = res[(m, "lambada")]
    ppl = f"{lam['metrics']['perplexity']:.2f}" if lam else "—"
    fmt = lambda xs: f"{sum(xs) / len(xs):.1f}" if xs else "—"
    print(f"| {m} | " + " | ".join(cells) + f" | {ppl} | {fmt(pres)} |")

def why_left(t, metric):
    if t not in scored: return "not a scored benchmark (reported apart)"
    if t in stale: return "† " + stale[t]
    if any(res[(m, t)] is None for m in methods): return "not run for every method"
    return "the original scores 0 (ratio undefined)"
print("\nAverage preserved % over the scored benchmarks: " + ", ".join(t for t, _ in common) + ".")
for t, metric in tasks:
    if (t, metric) not in common: print(f"- {t} left out: {why_left(t, metric)}.")
b = res[("original", "boolq")]
if b is not None:
    golds = [d["gold"] for d in b["documents"]]
    major = max(golds.count(g) for g in set(golds)) / len(golds)
    print(f"- BoolQ majority-class rate on these {len(golds)} documents: {100 * major:.1f} % "
          f"(the original scores {100 * b['metrics']['acc']:.1f} %).")
for a_m, b_m in [("lisa", "ds"), ("lisa-sl", "ds"), ("lisa", "lisa-sl")]:
    if a_m not in methods or b_m not in methods: continue
    print(f"\nPaired {a_m} − {b_m} on the same documents (mean per-document difference ± s.e.; LAMBADA: log-likelihood of the target):\n")
    print(f"| task | metric | n | {a_m} − {b_m} | z |"); print("|---|---|---:|---:|---:|")
    for t, metric in tasks + [("lambada", "perplexity")]:
        a, b = res[(a_m, t)], res[(b_m, t)]
        if a is None or b is None: continue
        mean, se, n = paired(a, b, metric)
        scale = 1 if metric == "perplexity" else 100
        print(f"| {t} | {'log-lik' if metric == 'perplexity' else metric} | {n} | {scale * mean:+.2f} ± {scale * se:.2f} | {f'{mean / se:+.2f}' if se > 0 else '—'} |")
