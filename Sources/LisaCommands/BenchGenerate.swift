import Basics
import ArgumentParser
import Foundation
import LiSA
import Models
import Numerics

/// `lisa bench generate`: end-to-end generation throughput and latency, the baseline and a LiSA
/// checkpoint alternated in one run (paper Tables 3–4: throughput = (prompt + generated tokens) /
/// (prefill time + decode time), over the B sequences of a batch). Sequences are prefilled one at a time and
/// decoded together (`Transformer.forwardBatch`); greedy; the run never stops early at EOS. With
/// `--memory-budget` each side runs the largest batch whose weights, caches and transients fit (`MemoryPlan`).
struct BenchGenerate: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "generate",
        abstract: "Generation throughput and latency, baseline vs a LiSA checkpoint (fixed batch or memory budget).",
        discussion: "Example: lisa bench generate models/gemma-3-270m-q4_k_m.gguf --io 16:64 --repeats 3 --batch 8")
    @OptionGroup var modelOptions: ModelOptions
    @Option(help: "A `lisa train` checkpoint; without it only the baseline is timed.") var lisa: String?
    @Flag(help: "NF decoding (§5.2): the prompt runs with standard attention, LiSA from the first generated token on.") var nf = false
    @Option(help: "Comma-separated prompt:generated lengths.") var io = "128:128"
    @Option(help: "Sequences decoded together (both sides).") var batch: Int?
    @Option(help: "Memory budget (bytes, or e.g. 1.5GiB, 1200MB): each side runs the largest batch that fits.") var memoryBudget: String?
    @Option(help: "Timed repetitions per setting, baseline and LiSA alternated; the fastest is kept.") var repeats = 1
    @Flag(help: "Print the memory table (K, K_LR, V, score rows per layer) of each side.") var memoryTable = false
    @Flag(help: "Print JSON.") var json = false
    @Option(help: "A llama-bench binary: after each repetition run its tg test (-p 0 -n generated, -fa 0, same threads) and print our decoding tokens/s against it.")
    var vsLlamaBench: String?

    func settings() throws -> [(prompt: Int, gen: Int)] {
        try commaList(io, option: "--io", expected: "prompt:generated with two positive lengths (e.g. 128:512)") { e in
            let p = e.split(separator: ":", omittingEmptySubsequences: false).map { Int($0) }
            guard p.count == 2, let a = p[0], let b = p[1], a >= 1, b >= 1 else { return nil }
            return (prompt: a, gen: b)
        }
    }

    func validate() throws {
        _ = try settings()
        guard repeats >= 1 else { throw ValidationError("--repeats must be ≥ 1.") }
        guard batch == nil || memoryBudget == nil else { throw ValidationError("Give --batch or --memory-budget, not both.") }
        if let batch, !(1...4096).contains(batch) { throw ValidationError("--batch must be between 1 and 4096, got \(batch).") }
        if let memoryBudget, GenerationBench.parseBytes(memoryBudget) == nil {
            throw ValidationError("--memory-budget must be a positive byte count such as 3000000000, 2.5GiB or 1200MB, got '\(memoryBudget)'.")
        }
        if nf, lisa == nil { throw ValidationError("--nf needs a LiSA checkpoint (--lisa).") }
    }

    func run() throws {
        let m = try modelOptions.load()
        let t = m.transformer
        let runtime = try lisa.map { try LiSARuntime.load(checkpoint: URL(fileURLWithPath: $0), model: t, modelSHA: SHA256.hex(ofFile: modelOptions.model)) }
        let sides: [(name: String, rt: LiSARuntime?)] = [("baseline", nil)] + (runtime.map { [("lisa", $0)] } ?? [])
        let plans = sides.map { MemoryPlan(model: t, lisa: $0.rt, nf: nf) }
        let budget = memoryBudget.flatMap(GenerationBench.parseBytes)
        var rows: [[String: Any]] = [], tables: [String] = []
        let reference = vsLlamaBench.map { LlamaBenchReference(path: $0, model: modelOptions.model, threads: modelOptions.threads) }
        for (p, g) in try settings() {
            guard p + g <= t.config.contextLength else { throw ModelError.promptTooLong(tokens: p + g, context: t.config.contextLength) }
            let batches: [Int] = try plans.enumerated().map { i, plan in
                guard let budget else { return batch ?? 1 }
                guard let b = plan.largestBatch(budget: budget, prompt: p, generated: g) else {
                    throw CLIError("--memory-budget \(memoryBudget!): not even one \(sides[i].name) sequence of \(p)+\(g) tokens fits (\(plan.totalBytes(batch: 1, prompt: p, generated: g)) bytes needed).")
                }
                return b
            }
            let progress = ProgressReporter(total: repeats * sides.count * g, label: "bench \(p):\(g)")
            var best: [Int: GenerationTiming] = [:]
            var llamaTG: [Double] = [], ourDecode: [Double] = []
            for r in 0..<repeats {
                for (i, side) in sides.enumerated() {
                    let done = (r * sides.count + i) * g
                    let prompts = GenerationBench.prompts(batch: batches[i], length: p, vocab: t.config.vocabSize)
                    let timing = try GenerationBench.run(t, prompts: prompts, gen: g, runtime: side.rt, nf: nf && side.rt != nil,
                                                         progress: { progress.update(done + $0, extra: side.name) })
                    if best[i] == nil || timing.latency < best[i]!.latency { best[i] = timing }
                    if i == 0 { ourDecode.append(Double(batches[0] * max(g - 1, 1)) / max(timing.decodeSeconds, 1e-9)) }   // g − 1 decode steps
                    // each side's timing as soon as it exists: a long run stopped half-way still reports it
                    FileHandle.standardError.write(Data(String(format: "\n%d:%d %@ batch %d (repeat %d): prefill %.2f s, decode %.2f s, %.2f tok/s\n",
                        p, g, side.name, batches[i], r + 1, timing.prefillSeconds, timing.decodeSeconds,
                        Double(batches[i] * (p + g)) / timing.latency).utf8))
                }
                if let reference { llamaTG.append(try reference.tokensPerSecond(prompt: 0, gen: g)) }   // alternated
            }
            progress.finish()
            let baseThroughput = Double(batches[0] * (p + g)) / best[0]!.latency
            for (i, side) in sides.enumerated() {
                let r = best[i]!, B = batches[i], tput = Double(B * (p + g)) / r.latency
                rows.append(["setting": "\(p):\(g)", "mode": side.name, "batch": B, "prefill_s": r.prefillSeconds, "decode_s": r.decodeSeconds,
                             "throughput_tokens_per_s": tput, "latency_s": r.latency, "cache_bytes": r.cacheBytes,
                             "planned_total_bytes": plans[i].totalBytes(batch: B, prompt: p, generated: g),
                             "ratio_to_baseline": tput / baseThroughput])
                if memoryTable { tables.append(GenerationBench.memoryTable(name: "\(side.name) \(p):\(g)", plan: plans[i], batch: B, prompt: p, gen: g)) }
            }
            rows[rows.count - sides.count]["decode_tokens_per_s"] = median(ourDecode)
            if !llamaTG.isEmpty {
                rows[rows.count - sides.count]["llama_bench_tg_tokens_per_s"] = median(llamaTG)
                rows[rows.count - sides.count]["decode_ratio_to_llama_bench"] = median(ourDecode) / median(llamaTG)
            }
        }
        if json {
            print(try jsonLine(["results": rows, "blas_core": BLAS.coreName, "lisa": lisa ?? NSNull(), "nf": nf,
                                "memory_budget_bytes": budget ?? NSNull(), "threads": modelOptions.threads]))
            return
        }
        let mode = budget.map { "memory budget \($0) bytes" } ?? "batch \(batch ?? 1)"
        print("model \(modelOptions.model), weights \(t.weights.format.rawValue), products \(t.productMode.rawValue), K/V \(t.kvElement.rawValue), "
              + "kernel path \(KernelPath.name), BLAS kernel \(BLAS.coreName), \(modelOptions.threads) threads, \(mode), greedy\(nf ? ", NF" : "")")
        print("setting     mode      batch  prefill s  decode s  throughput tok/s  latency s  cache MiB  ratio")
        for r in rows {
            print(String(format: "%-10@  %-8@  %5d  %9.2f  %8.2f  %16.2f  %9.2f  %9.2f  %.2fx", r["setting"] as! String, r["mode"] as! String,
                         r["batch"] as! Int, r["prefill_s"] as! Double, r["decode_s"] as! Double, r["throughput_tokens_per_s"] as! Double,
                         r["latency_s"] as! Double, Double(r["cache_bytes"] as! Int) / 1_048_576, r["ratio_to_baseline"] as! Double))
        }
        for r in rows where r["llama_bench_tg_tokens_per_s"] != nil {
            print(String(format: "%@ baseline decoding %.2f tok/s (median of %d), llama-bench tg%@ %.2f tok/s (alternated): %.2fx",
                         r["setting"] as! String, r["decode_tokens_per_s"] as! Double, repeats, String((r["setting"] as! String).split(separator: ":")[1]),
                         r["llama_bench_tg_tokens_per_s"] as! Double, r["decode_ratio_to_llama_bench"] as! Double))
        }
        for table in tables { print("\n" + table) }
    }
}
