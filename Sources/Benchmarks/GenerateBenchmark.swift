import Basics
import Foundation
import LiSA
import Models
import Numerics

/// `lisa bench generate`: end-to-end generation throughput and latency, the baseline and a LiSA
/// checkpoint alternated in one run (paper Tables 3–4: throughput = (prompt + generated tokens) /
/// (prefill time + decode time), over the B sequences of a batch). Sequences are prefilled one at a time and
/// decoded together (`Transformer.forwardBatch`); greedy; the run never stops early at EOS. With
/// a memory budget each side runs the largest batch whose weights, caches and transients fit (`MemoryPlan`).
/// Sides: the baseline, LiSA, and with `nf` LiSA with NF decoding too (Table 3's three rows); each repetition runs
/// every side once, in that order, and the report gives each side's fastest repetition and the mean ± s.d. of its
/// throughput over the repetitions.
public struct GenerateBenchmark {
    /// prompt:generated lengths.
    public var settings: [(prompt: Int, gen: Int)]
    /// Timed repetitions per setting, the sides alternated.
    public var repeats: Int
    /// Also an NF side (§5.2: the prompt with standard attention, generated tokens through LiSA).
    public var nf: Bool
    /// A `lisa train` checkpoint; nil times the baseline only.
    public var checkpoint: String?
    /// Sequences decoded together (both sides); nil: 1, or the largest that fits `memoryBudget`.
    public var batch: Int?
    /// Bytes, or e.g. "1.5GiB" (`GenerationBench.parseBytes`).
    public var memoryBudget: String?
    /// Append each side's memory table.
    public var memoryTable = false
    public var llamaBench: LlamaBenchReference?

    public init(settings: [(prompt: Int, gen: Int)], repeats: Int, nf: Bool) {
        self.settings = settings; self.repeats = repeats; self.nf = nf
    }

    public func run(_ m: LoadedModel, modelPath: String, threads: Int) throws -> BenchmarkReport {
        let t = m.transformer
        let runtime = try checkpoint.map {
            try LiSARuntime.load(
                checkpoint: URL(fileURLWithPath: $0), model: t, modelSHA: SHA256.hex(ofFile: modelPath))
        }
        var sides: [(name: String, rt: LiSARuntime?, nf: Bool)] = [("baseline", nil, false)]
        if let runtime {
            sides.append(("lisa", runtime, false))
            if nf { sides.append(("nf", runtime, true)) }
        }
        let plans = sides.map { MemoryPlan(model: t, lisa: $0.rt, nf: $0.nf) }
        let budget = memoryBudget.flatMap(GenerationBench.parseBytes)
        var rows: [[String: Any]] = [], tables: [String] = []
        let reference = llamaBench
        for (p, g) in settings {
            guard p + g <= t.config.contextLength else {
                throw ModelError.promptTooLong(tokens: p + g, context: t.config.contextLength)
            }
            let batches: [Int] = try plans.enumerated().map { i, plan in
                guard let budget else { return batch ?? 1 }
                guard let b = plan.largestBatch(budget: budget, prompt: p, generated: g) else {
                    throw BenchError.budgetTooSmall(
                        budget: memoryBudget!, side: sides[i].name, prompt: p, generated: g,
                        needed: plan.totalBytes(batch: 1, prompt: p, generated: g))
                }
                return b
            }
            let progress = ProgressReporter(total: repeats * sides.count * g, label: "bench \(p):\(g)")
            var best: [Int: GenerationTiming] = [:], throughputs = [[Double]](repeating: [], count: sides.count)
            var llamaTG: [Double] = [], ourDecode: [Double] = []
            for r in 0..<repeats {
                for (i, side) in sides.enumerated() {
                    let done = (r * sides.count + i) * g
                    let prompts = GenerationBench.prompts(batch: batches[i], length: p, vocab: t.config.vocabSize)
                    let timing = try GenerationBench.run(
                        t, prompts: prompts, gen: g, runtime: side.rt, nf: side.nf,
                        progress: { progress.update(done + $0, extra: side.name) })
                    if best[i] == nil || timing.latency < best[i]!.latency { best[i] = timing }
                    throughputs[i].append(Double(batches[i] * (p + g)) / timing.latency)
                    // g − 1 decode steps
                    if i == 0 { ourDecode.append(Double(batches[0] * max(g - 1, 1)) / max(timing.decodeSeconds, 1e-9)) }
                    // each side's timing as soon as it exists: a long run stopped half-way still reports it
                    FileHandle.standardError.write(
                        Data(
                            String(
                                format: "\n%d:%d %@ batch %d (repeat %d): prefill %.2f s, decode %.2f s, %.2f tok/s\n",
                                p, g, side.name, batches[i], r + 1, timing.prefillSeconds, timing.decodeSeconds,
                                Double(batches[i] * (p + g)) / timing.latency
                            ).utf8))
                }
                if let reference { llamaTG.append(try reference.tokensPerSecond(prompt: 0, gen: g)) }  // alternated
            }
            progress.finish()
            let baseThroughput = Double(batches[0] * (p + g)) / best[0]!.latency
            for (i, side) in sides.enumerated() {
                let r = best[i]!, B = batches[i], tput = Double(B * (p + g)) / r.latency
                let all = throughputs[i], mean = all.reduce(0, +) / Double(all.count)
                let sd = all.count > 1
                    ? (all.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(all.count - 1)).squareRoot() : 0
                rows.append([
                    "setting": "\(p):\(g)", "mode": side.name, "batch": B, "prefill_s": r.prefillSeconds,
                    "decode_s": r.decodeSeconds,
                    "throughput_tokens_per_s": tput, "latency_s": r.latency, "cache_bytes": r.cacheBytes,
                    "planned_total_bytes": plans[i].totalBytes(batch: B, prompt: p, generated: g),
                    "ratio_to_baseline": tput / baseThroughput,
                    "throughput_mean_tokens_per_s": mean, "throughput_sd_tokens_per_s": sd, "repeats": all.count,
                ])
                if memoryTable {
                    tables.append(
                        GenerationBench.memoryTable(
                            name: "\(side.name) \(p):\(g)", plan: plans[i], batch: B, prompt: p, gen: g))
                }
            }
            rows[rows.count - sides.count]["decode_tokens_per_s"] = median(ourDecode)
            if !llamaTG.isEmpty {
                rows[rows.count - sides.count]["llama_bench_tg_tokens_per_s"] = median(llamaTG)
                rows[rows.count - sides.count]["decode_ratio_to_llama_bench"] = median(ourDecode) / median(llamaTG)
            }
        }
        var report = BenchmarkReport()
        report.json = [
            "results": rows, "blas_core": BLAS.coreName, "lisa": checkpoint ?? NSNull(), "nf": nf,
            "memory_budget_bytes": budget ?? NSNull(), "threads": threads,
        ]
        let mode = budget.map { "memory budget \($0) bytes" } ?? "batch \(batch ?? 1)"
        report.lines.append(
            "model \(modelPath), weights \(t.weights.format.rawValue), products \(t.productMode.rawValue), K/V "
                + "\(t.kvElement.rawValue), "
                + "kernel path \(KernelPath.name), BLAS kernel \(BLAS.coreName), \(threads) threads, \(mode), "
                + "greedy; each side's fastest of \(repeats) repetitions, and the mean ± s.d. of its throughput"
        )
        report.lines.append(
            "setting     mode      batch  prefill s  decode s  throughput tok/s  mean ± s.d.      latency s  cache MiB  "
                + "ratio")
        for r in rows {
            report.lines.append(
                String(
                    format: "%-10@  %-8@  %5d  %9.2f  %8.2f  %16.2f  %7.2f ± %-6.2f  %9.2f  %9.2f  %.2fx",
                    r["setting"] as! String, r["mode"] as! String,
                    r["batch"] as! Int, r["prefill_s"] as! Double, r["decode_s"] as! Double,
                    r["throughput_tokens_per_s"] as! Double, r["throughput_mean_tokens_per_s"] as! Double,
                    r["throughput_sd_tokens_per_s"] as! Double,
                    r["latency_s"] as! Double, Double(r["cache_bytes"] as! Int) / 1_048_576,
                    r["ratio_to_baseline"] as! Double))
        }
        for r in rows where r["llama_bench_tg_tokens_per_s"] != nil {
            report.lines.append(
                String(
                    format:
                        "%@ baseline decoding %.2f tok/s (median of %d), llama-bench tg%@ %.2f tok/s (alternated): "
                        + "%.2fx",
                    r["setting"] as! String, r["decode_tokens_per_s"] as! Double, repeats,
                    String((r["setting"] as! String).split(separator: ":")[1]),
                    r["llama_bench_tg_tokens_per_s"] as! Double, r["decode_ratio_to_llama_bench"] as! Double))
        }
        for table in tables { report.lines.append("\n" + table) }
        return report
    }
}
