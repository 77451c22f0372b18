import Basics
import Foundation
import LiSA
import Models
import Numerics

/// `lisa bench train`: tokens/s of LiSA's joint training step (eq 7: teacher capture, forward through the network
/// with the LiSA layers in place, losses, backward, AdamW) on the frozen base as loaded, and where the time goes.
/// With two weight formats, the same steps on each, alternated.
public struct TrainBenchmark {
    public var seqLen: Int
    public var batch: Int
    /// Timed steps (after one warm-up step; the median is reported).
    public var steps: Int
    public var beta: Float
    /// LiSA layers (each shares from n−1); nil: the two middle layers.
    public var layers: [Int]?
    /// The frozen base's formats, timed alternately (the first is the one the ratio is of).
    public var formats: [WeightFormat] = [.quantized]

    public init(seqLen: Int, batch: Int, steps: Int, beta: Float) {
        self.seqLen = seqLen; self.batch = batch; self.steps = steps; self.beta = beta
    }

    /// One trainer on `weights`: its step closure and its phase profile.
    struct Bench {
        let label: String
        let trainer: LocalKDTrainer
        let profile = TrainStepProfile()
    }

    public func run(modelPath: String, threads: Int) throws -> BenchmarkReport {
        let sha = try SHA256.hex(ofFile: modelPath)
        var benches: [Bench] = []
        for f in formats {
            // exact products, as `lisa train` runs: the teacher, the forward and its backward use the same weights
            let m = try LoadedModel(path: modelPath, threads: threads, weights: f, exact: true)
            let c = m.config
            let list = layers ?? [c.nLayers / 2 - 1, c.nLayers / 2]
            let sharing = SharingConfig(lisaLayers: list, nLayers: c.nLayers, modelSHA256: sha, arch: c.arch.rawValue)
            try sharing.validate(path: "the LiSA layers")
            try sharing.validateForTraining(config: c, seqLen: seqLen)
            var o = LiSATrainOptions()
            o.ffn = LiSATrainOptions().hidden >= 2 * c.nHeads ? .dl : .sl
            o.optimizer.totalSteps = steps + 1; o.optimizer.warmupSteps = 1
            benches.append(
                Bench(label: f.rawValue, trainer: LocalKDTrainer(model: m.transformer, sharing: sharing, options: o)))
        }
        let c = benches[0].trainer.model.config
        let batchTokens = GenerationBench.prompts(batch: batch, length: seqLen, vocab: c.vocabSize)
        for b in benches { try b.trainer.jointStep(batch: batchTokens, beta: beta) }  // warm-up
        var seconds: [String: [Double]] = [:]
        for _ in 0..<steps {  // alternated
            for b in benches {
                b.trainer.stepProfile = b.profile
                let t0 = DispatchTime.now().uptimeNanoseconds
                try b.trainer.jointStep(batch: batchTokens, beta: beta)
                seconds[b.label, default: []].append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
                b.trainer.stepProfile = nil
            }
        }
        let tokens = Double(batch * seqLen)
        var report = BenchmarkReport()
        report.lines.append(
            "model \(modelPath), LiSA layers \(benches[0].trainer.layers.map(\.index)), r = "
                + "\(benches[0].trainer.layers[0].rank), "
                + "products exact, kernel path \(KernelPath.name), BLAS kernel \(BLAS.coreName), \(threads) threads; "
                + "batch \(batch) × \(seqLen) tokens, β = \(beta); medians of \(steps)"
                + (benches.count > 1 ? ", alternated" : ""))
        let median = benches.map { b -> Double in
            let s = seconds[b.label]!.sorted(); return s[s.count / 2]
        }
        for (b, s) in zip(benches, median) {
            report.lines.append(
                String(
                    format: "base %@: %.2f s per joint step, %.1f tok/s",
                    b.label.padding(toLength: 9, withPad: " ", startingAt: 0),
                    s, tokens / s))
        }
        if benches.count > 1 {
            report.lines.append(String(format: "ratio %@ / f32: %.2fx", benches[0].label, median[1] / median[0]))
        }
        for (b, s) in zip(benches, median) {
            report.lines.append("where the time goes, base \(b.label) (ms per step):")
            // each phase, then its timed parts indented below it (inside its time, not added)
            for p in TrainStepProfile.Phase.allCases where p.partOf == nil {
                for q in [p] + TrainStepProfile.Phase.allCases.filter({ $0.partOf == p }) {
                    let ms = (b.profile.ms[q] ?? 0) / Double(steps)
                    let name = (q == p ? "  " : "    ") + q.rawValue
                    report.lines.append(
                        name.padding(toLength: 56, withPad: " ", startingAt: 0)
                            + String(format: "%9.1f  %5.1f%%", ms, 100 * ms / (s * 1000)))
                }
            }
        }
        return report
    }
}
