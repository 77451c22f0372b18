import ArgumentParser
import Foundation
import Benchmarks
import Models

/// `lisa bench train`: tokens/s of LiSA's joint training step (eq 7: teacher capture, forward through the network
/// with the LiSA layers in place, losses, backward, AdamW) on the frozen base as loaded, and where the time goes.
/// With `--vs-f32`, the same steps on a Float32 copy of the base, alternated with the quantized ones.
struct BenchTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Joint training step tokens/s (quantized base, optionally side by side with f32) and per-phase time.",
        discussion: "Example: lisa bench train models/gemma-3-270m-q4_k_m.gguf --layers 6,7 --vs-f32")
    @OptionGroup var modelOptions: ModelOptions
    @Option(help: "LiSA layers, comma-separated (each shares from n−1; default: the two middle layers).") var layers:
        String?
    @Option(help: "Sequence length.") var seqLen = 128
    @Option(help: "Sequences per step.") var batch = 4
    @Option(help: "Timed steps (after one warm-up step; the median is reported).") var steps = 3
    @Option(help: "β of L = β·L_KD + (1−β)·L_LM.") var beta: Float = 0.25
    @Flag(help: "Also time the steps on a Float32 copy of the base, alternating with the quantized base.") var vsF32 =
        false

    func validate() throws {
        guard seqLen >= 2, batch >= 1, steps >= 1 else {
            throw ValidationError("--seq-len must be ≥ 2, --batch and --steps ≥ 1.")
        }
        guard (0...1).contains(beta) else { throw ValidationError("--beta must lie in [0, 1], got \(beta).") }
        if let layers { _ = try Train.layerList(layers) }
    }

    func run() throws {
        var bench = TrainBenchmark(seqLen: seqLen, batch: batch, steps: steps, beta: beta)
        bench.layers = try layers.map(Train.layerList)
        bench.formats = vsF32 && modelOptions.weights != .f32 ? [modelOptions.weights, .f32] : [modelOptions.weights]
        print(try bench.run(modelPath: modelOptions.model, threads: modelOptions.threads).text)
    }
}
