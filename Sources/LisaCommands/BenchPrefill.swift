import ArgumentParser
import Foundation
import Models
import Benchmarks

/// `lisa bench prefill`: parses, runs `PrefillBenchmark`, prints.
struct BenchPrefill: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prefill",
        abstract: "Prefill tokens/s without taps and with last-token capture of all layers and heads.",
        discussion: "Example: lisa bench prefill models/gemma-3-270m-q4_k_m.gguf --tokens 128,512 --repeats 3")
    @OptionGroup var modelOptions: ModelOptions
    @Option(help: "Comma-separated prompt lengths.") var tokens = "128,512"
    @Option(help: "Timed repetitions per setting (after one warm-up).") var repeats = 3
    @Flag(help: "Print JSON.") var json = false
    @Option(
        help: "A llama-bench binary: run it with the same model, threads and lengths (-fa 0), alternating with ours.")
    var vsLlamaBench: String?

    func lengths() throws -> [Int] {
        try commaIntegers(tokens, option: "--tokens", expected: "a prompt length from 1 to 65536", range: 1...(1 << 16))
    }

    func validate() throws {
        _ = try lengths(); guard repeats >= 1 else { throw ValidationError("--repeats must be ≥ 1.") }
    }

    func run() throws {
        let m = try modelOptions.load()
        let bench = PrefillBenchmark(
            lengths: try lengths(), repeats: repeats,
            llamaBench: vsLlamaBench.map {
                LlamaBenchReference(path: $0, model: modelOptions.model, threads: modelOptions.threads)
            })
        let report = try bench.run(m, modelPath: modelOptions.model, threads: modelOptions.threads)
        print(json ? report.jsonLine : report.text)
    }
}
