import Basics
import ArgumentParser
import Foundation
import LiSA
import Models
import Numerics

/// `lisa bench train`: tokens/s of LiSA's joint training step (eq 7: teacher capture, forward through the network
/// with the LiSA layers in place, losses, backward, AdamW) on the frozen base as loaded, and where the time goes.
/// With `--vs-f32`, the same steps on a Float32 copy of the base, alternated with the quantized ones.
struct BenchTrain: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "train",
        abstract: "Joint training step tokens/s (quantized base, optionally side by side with f32) and per-phase time.",
        discussion: "Example: lisa bench train models/gemma-3-270m-q4_k_m.gguf --layers 6,7 --vs-f32")
    @OptionGroup var modelOptions: ModelOptions
    @Option(help: "LiSA layers, comma-separated (each shares from n−1; default: the two middle layers).") var layers: String?
    @Option(help: "Sequence length.") var seqLen = 128
    @Option(help: "Sequences per step.") var batch = 4
    @Option(help: "Timed steps (after one warm-up step; the median is reported).") var steps = 3
    @Option(help: "β of L = β·L_KD + (1−β)·L_LM.") var beta: Float = 0.25
    @Flag(help: "Also time the steps on a Float32 copy of the base, alternating with the quantized base.") var vsF32 = false

    func validate() throws {
        guard seqLen >= 2, batch >= 1, steps >= 1 else { throw ValidationError("--seq-len must be ≥ 2, --batch and --steps ≥ 1.") }
        guard (0...1).contains(beta) else { throw ValidationError("--beta must lie in [0, 1], got \(beta).") }
        if let layers { _ = try Train.layerList(layers) }
    }

    /// One trainer on `weights`: its step closure and its phase profile.
    struct Bench {
        let label: String
        let trainer: LocalKDTrainer
        let profile = TrainStepProfile()
    }

    func run() throws {
        let formats: [WeightFormat] = vsF32 && modelOptions.weights != .f32 ? [modelOptions.weights, .f32] : [modelOptions.weights]
        let sha = try SHA256.hex(ofFile: modelOptions.model)
        var benches: [Bench] = []
        for f in formats {
            // exact products, as `lisa train` runs: the teacher, the forward and its backward use the same weights
            let m = try LoadedModel(path: modelOptions.model, threads: modelOptions.threads, weights: f, exact: true)
            let c = m.config
            let list = try layers.map(Train.layerList) ?? [c.nLayers / 2 - 1, c.nLayers / 2]
            let sharing = SharingConfig(lisaLayers: list, nLayers: c.nLayers, modelSHA256: sha, arch: c.arch.rawValue)
            try sharing.validate(path: "--layers")
            try sharing.validateForTraining(config: c, seqLen: seqLen)
            var o = LiSATrainOptions()
            o.ffn = LiSATrainOptions().hidden >= 2 * c.nHeads ? .dl : .sl
            o.optimizer.totalSteps = steps + 1; o.optimizer.warmupSteps = 1
            benches.append(Bench(label: f.rawValue, trainer: LocalKDTrainer(model: m.transformer, sharing: sharing, options: o)))
        }
        let c = benches[0].trainer.model.config
        let batchTokens = GenerationBench.prompts(batch: batch, length: seqLen, vocab: c.vocabSize)
        for b in benches { try b.trainer.jointStep(batch: batchTokens, beta: beta) }            // warm-up
        var seconds: [String: [Double]] = [:]
        for _ in 0..<steps {                                                                    // alternated
            for b in benches {
                b.trainer.stepProfile = b.profile
                let t0 = DispatchTime.now().uptimeNanoseconds
                try b.trainer.jointStep(batch: batchTokens, beta: beta)
                seconds[b.label, default: []].append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
                b.trainer.stepProfile = nil
            }
        }
        let tokens = Double(batch * seqLen)
        print("model \(modelOptions.model), LiSA layers \(benches[0].trainer.layers.map(\.index)), r = \(benches[0].trainer.layers[0].rank), "
              + "products exact, kernel path \(KernelPath.name), BLAS kernel \(BLAS.coreName), \(modelOptions.threads) threads; "
              + "batch \(batch) × \(seqLen) tokens, β = \(beta); medians of \(steps)" + (benches.count > 1 ? ", alternated" : ""))
        let median = benches.map { b -> Double in let s = seconds[b.label]!.sorted(); return s[s.count / 2] }
        for (b, s) in zip(benches, median) {
            print(String(format: "base %@: %.2f s per joint step, %.1f tok/s", b.label.padding(toLength: 9, withPad: " ", startingAt: 0),
                         s, tokens / s))
        }
        if benches.count > 1 { print(String(format: "ratio %@ / f32: %.2fx", benches[0].label, median[1] / median[0])) }
        for (b, s) in zip(benches, median) {
            print("where the time goes, base \(b.label) (ms per step):")
            for p in TrainStepProfile.Phase.allCases {
                let ms = (b.profile.ms[p] ?? 0) / Double(steps)
                print("  " + p.rawValue.padding(toLength: 54, withPad: " ", startingAt: 0)
                      + String(format: "%9.1f  %5.1f%%", ms, 100 * ms / (s * 1000)))
            }
        }
    }
}
