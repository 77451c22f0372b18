import Basics
import ArgumentParser
import Foundation
import LiSA
import Models
import Numerics

/// `lisa bench decode-step`: where the time of one decoding step goes. Times the whole step (B sequences at
/// S cached positions), then runs the same steps with the model's op profile attached: the one block definition
/// times each op class inside the real step (linear maps, attention, LiSA's score calls, the LM head).
struct BenchDecodeStep: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "decode-step",
        abstract: "Per-op milliseconds of one decoding step (baseline or LiSA).",
        discussion: "Example: lisa bench decode-step models/gemma-3-270m-q4_k_m.gguf --positions 512 --batch 8")
    @OptionGroup var modelOptions: ModelOptions
    @Option(help: "A `lisa train` checkpoint: profile its LiSA layers too.") var lisa: String?
    @Option(help: "Cached positions per sequence.") var positions = 512
    @Option(help: "Sequences decoded together.") var batch = 1
    @Option(help: "Timed repetitions (the median is reported).") var repeats = 5

    func validate() throws {
        guard positions >= 1, batch >= 1, repeats >= 1 else { throw ValidationError("--positions, --batch and --repeats must be ≥ 1.") }
    }

    func run() throws {
        let m = try modelOptions.load()
        let t = m.transformer, c = t.config, B = batch, S = positions
        let rt = try lisa.map { try LiSARuntime.load(checkpoint: URL(fileURLWithPath: $0), model: t, modelSHA: SHA256.hex(ofFile: modelOptions.model)) }
        let lisaLayers = rt?.layers.count ?? 0
        let prompts = GenerationBench.prompts(batch: B, length: S, vocab: c.vocabSize)
        let runtimes = (0..<B).map { _ in rt?.replica() }
        let caches = (0..<B).map { _ in t.makeCache(reserve: S + 2 * repeats + 1) }
        for b in 0..<B { _ = try t.forward(prompts[b], cache: caches[b], logits: .none, scoreProviders: runtimes[b]?.providers ?? [:]) }
        let providers = rt == nil ? [] : runtimes.map { $0!.providers }
        func step() throws { _ = try t.forwardBatch(Array(repeating: [7], count: B), caches: caches, scoreProviders: providers) }
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
        let rows = profile.rows(model: t, calls: repeats, B: B, T: 1, S: S + repeats, lmRows: 1,
                                keyLayers: c.nLayers - lisaLayers, wallMs: stepMs)
        print("model \(modelOptions.model), weights \(t.weights.format.rawValue), products \(t.productMode.rawValue), "
              + "K/V \(t.kvElement.rawValue), kernel path \(KernelPath.name), BLAS kernel \(BLAS.coreName), "
              + "\(modelOptions.threads) threads; batch \(B), \(S) cached positions, \(lisaLayers) LiSA layers; medians of \(repeats)")
        print(String(format: "whole decoding step: %.2f ms (%.2f tok/s)", stepMs, Double(B) * 1000 / stepMs))
        for line in OpProfile.lines(rows, wallMs: stepMs) { print(line) }
    }
}
