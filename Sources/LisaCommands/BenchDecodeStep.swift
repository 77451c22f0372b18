import ArgumentParser
import Foundation
import Benchmarks
import Models

/// `lisa bench decode-step`: where the time of one decoding step goes. Times the whole step (B sequences at
/// S cached positions), then runs the same steps with the model's op profile attached: the one block definition
/// times each op class inside the real step (linear maps, attention, LiSA's score calls, the LM head).
struct BenchDecodeStep: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode-step",
        abstract: "Per-op milliseconds of one decoding step (baseline or LiSA).",
        discussion: "Example: lisa bench decode-step models/gemma-3-270m-q4_k_m.gguf --positions 512 --batch 8")
    @OptionGroup var modelOptions: ModelOptions
    @Option(help: "A `lisa train` checkpoint: profile its LiSA layers too.") var lisa: String?
    @Option(help: "Cached positions per sequence.") var positions = 512
    @Option(help: "Sequences decoded together.") var batch = 1
    @Option(help: "Timed repetitions (the median is reported).") var repeats = 5

    func validate() throws {
        guard positions >= 1, batch >= 1, repeats >= 1 else {
            throw ValidationError("--positions, --batch and --repeats must be ≥ 1.")
        }
    }

    func run() throws {
        let m = try modelOptions.load()
        let bench = DecodeStepBenchmark(positions: positions, batch: batch, repeats: repeats, checkpoint: lisa)
        print(try bench.run(m, modelPath: modelOptions.model, threads: modelOptions.threads).text)
    }
}
