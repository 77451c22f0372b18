import Basics
import Foundation
import LiSA
import Models
import Numerics

/// `lisa bench decode-step`: where the time of one decoding step goes. Times the whole step (B sequences at
/// S cached positions), then runs the same steps with the model's op profile attached: the one block definition
/// times each op class inside the real step (linear maps, attention, LiSA's score calls, the LM head).
public struct DecodeStepBenchmark {
    public var positions: Int
    public var batch: Int
    public var repeats: Int
    /// A `lisa train` checkpoint whose LiSA layers are profiled too.
    public var checkpoint: String?

    public init(positions: Int, batch: Int, repeats: Int, checkpoint: String? = nil) {
        self.positions = positions; self.batch = batch; self.repeats = repeats; self.checkpoint = checkpoint
    }

    public func run(_ m: LoadedModel, modelPath: String, threads: Int) throws -> BenchmarkReport {
        let t = m.transformer, c = t.config, B = batch, S = positions
        let rt = try checkpoint.map {
            try LiSARuntime.load(
                checkpoint: URL(fileURLWithPath: $0), model: t, modelSHA: SHA256.hex(ofFile: modelPath))
        }
        let lisaLayers = rt?.layers.count ?? 0
        let prompts = GenerationBench.prompts(batch: B, length: S, vocab: c.vocabSize)
        let runtimes = (0..<B).map { _ in rt?.replica() }
        let caches = (0..<B).map { _ in t.makeCache(reserve: S + 2 * repeats + 1) }
        for b in 0..<B {
            _ = try t.forward(
                prompts[b], cache: caches[b], logits: .none, scoreProviders: runtimes[b]?.providers ?? [:])
        }
        let providers = rt == nil ? [] : runtimes.map { $0!.providers }
        func step() throws {
            _ = try t.forwardBatch(Array(repeating: [7], count: B), caches: caches, scoreProviders: providers)
        }
        var wall: [Double] = []
        for _ in 0..<repeats {
            let t0 = DispatchTime.now().uptimeNanoseconds
            try step()
            wall.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
        }
        let stepMs = wall.sorted()[wall.count / 2]
        let profile = OpProfile()
        t.profile = profile
        for _ in 0..<repeats { try step() }
        t.profile = nil
        let rows = profile.rows(
            model: t, calls: repeats, B: B, T: 1, S: S + repeats, lmRows: 1,
            keyLayers: c.nLayers - lisaLayers, wallMs: stepMs)
        var report = BenchmarkReport()
        report.lines.append(
            "model \(modelPath), weights \(t.weights.format.rawValue), products \(t.productMode.rawValue), "
                + "K/V \(t.kvElement.rawValue), kernel path \(KernelPath.name), BLAS kernel \(BLAS.coreName), "
                + "\(threads) threads; batch \(B), \(S) cached positions, \(lisaLayers) LiSA layers; medians of "
                + "\(repeats)"
        )
        report.lines.append(
            String(format: "whole decoding step: %.2f ms (%.2f tok/s)", stepMs, Double(B) * 1000 / stepMs))
        report.lines += OpProfile.lines(rows, wallMs: stepMs)
        return report
    }
}
