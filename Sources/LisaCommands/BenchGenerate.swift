import ArgumentParser
import Foundation
import Benchmarks
import Models

/// `lisa bench generate`: end-to-end generation throughput and latency, the baseline and a LiSA
/// checkpoint alternated in one run (paper Tables 3–4: throughput = (prompt + generated tokens) /
/// (prefill time + decode time), over the B sequences of a batch). Sequences are prefilled one at a time and
/// decoded together (`Transformer.forwardBatch`); greedy; the run never stops early at EOS. With
/// `--memory-budget` each side runs the largest batch whose weights, caches and transients fit (`MemoryPlan`).
struct BenchGenerate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generation throughput and latency: baseline, a LiSA checkpoint and NF (fixed batch or memory budget).",
        discussion: "Example: lisa bench generate models/gemma-3-270m-q4_k_m.gguf --io 16:64 --repeats 3 --batch 8")
    @OptionGroup var modelOptions: ModelOptions
    @Option(help: "A `lisa train` checkpoint; without it only the baseline is timed.") var lisa: String?
    @Flag(
        help: ArgumentHelp(
            "Also time NF decoding (§5.2: the prompt runs with standard attention, LiSA from the first generated token "
                + "on) as a third side."))
    var nf = false
    @Option(help: "Comma-separated prompt:generated lengths.") var io = "128:128"
    @Option(help: "Sequences decoded together (both sides).") var batch: Int?
    @Option(help: "Memory budget (bytes, or e.g. 1.5GiB, 1200MB): each side runs the largest batch that fits.")
    var memoryBudget: String?
    @Option(
        help: ArgumentHelp(
            "Timed repetitions per setting, the sides alternated: each side's fastest, and the mean ± s.d. of its "
                + "throughput.")) var repeats = 1
    @Flag(help: "Print the memory table (K, K_LR, V, score rows per layer) of each side.") var memoryTable = false
    @Flag(help: "Print JSON.") var json = false
    @Option(
        help:
            ArgumentHelp(
                "A llama-bench binary: after each repetition run its tg test (-p 0 -n generated, -fa 0, same threads) "
                    + "and print our decoding tokens/s against it.")
    )
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
        guard batch == nil || memoryBudget == nil else {
            throw ValidationError("Give --batch or --memory-budget, not both.")
        }
        if let batch, !(1...4096).contains(batch) {
            throw ValidationError("--batch must be between 1 and 4096, got \(batch).")
        }
        if let memoryBudget, GenerationBench.parseBytes(memoryBudget) == nil {
            throw ValidationError(
                "--memory-budget must be a positive byte count such as 3000000000, 2.5GiB or 1200MB, got "
                    + "'\(memoryBudget)'."
            )
        }
        if nf, lisa == nil { throw ValidationError("--nf needs a LiSA checkpoint (--lisa).") }
    }

    func run() throws {
        let m = try modelOptions.load()
        var bench = GenerateBenchmark(settings: try settings(), repeats: repeats, nf: nf)
        bench.checkpoint = lisa; bench.batch = batch; bench.memoryBudget = memoryBudget; bench.memoryTable = memoryTable
        bench.llamaBench = vsLlamaBench.map {
            LlamaBenchReference(path: $0, model: modelOptions.model, threads: modelOptions.threads)
        }
        let report = try bench.run(m, modelPath: modelOptions.model, threads: modelOptions.threads)
        print(json ? report.jsonLine : report.text)
    }
}
