import ArgumentParser
import Foundation
import GGUF
import LiSA
import Models
import Numerics

/// `lisa bench decode-step`: where the time of one decoding step goes. Times the whole step (B sequences at
/// S cached positions), then each op of it alone with the model's own weights: the linear maps of all layers,
/// the LM head, one standard attention (scores, softmax, P·V) and one LiSA score call, and scales by their count.
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

    /// Median milliseconds of `body` over `repeats` runs.
    func time(_ body: () throws -> Void) rethrows -> Double {
        var ms: [Double] = []
        for _ in 0..<repeats {
            let t0 = DispatchTime.now().uptimeNanoseconds
            try body()
            ms.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
        }
        return ms.sorted()[ms.count / 2]
    }

    func run() throws {
        let m = try modelOptions.load()
        let t = m.transformer, c = t.config, B = batch, S = positions, d = c.nEmbd, H = c.nHeads
        let rt = try lisa.map { try LiSARuntime.load(checkpoint: URL(fileURLWithPath: $0), model: t, modelSHA: SHA256.hex(ofFile: modelOptions.model)) }
        let lisaSet = Set(rt?.layers.map(\.layer.index) ?? [])
        let prompts = GenerationBench.prompts(batch: B, length: S, vocab: c.vocabSize)
        let runtimes = (0..<B).map { _ in rt?.replica() }
        let caches = (0..<B).map { _ in t.makeCache(reserve: S + repeats + 1) }
        for b in 0..<B { _ = try t.forward(prompts[b], cache: caches[b], logits: .none, scoreProviders: runtimes[b]?.providers ?? [:]) }
        let providers = rt == nil ? [] : runtimes.map { $0!.providers }
        let step = try time { _ = try t.forwardBatch(Array(repeating: [7], count: B), caches: caches, scoreProviders: providers) }

        var rng = GaussianRNG(seed: 1)
        let x = FloatBuffer(count: B * max(d, c.nFF, c.qDim), zeroed: false)   // [B, max(d, nFF, qDim)] stand-in activations
        for i in 0..<x.count { x[i] = rng.next() }
        let out = FloatBuffer(count: B * max(c.vocabSize, c.nFF), zeroed: false)  // [B, vocab or nFF]
        let w = t.weights.layers
        // the linear maps in step order, each timed once per pass (the 1 GB of weights does not fit in cache, so
        // every op reads its weight from memory as in a real step); medians over the passes
        var linearMs: [String: [Double]] = [:]
        func timed(_ key: String, _ body: () -> Void) {
            let t0 = DispatchTime.now().uptimeNanoseconds
            body()
            linearMs[key, default: []].append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
        }
        func linear(_ W: WeightMatrix, n: Int, k: Int) { W.forward(x.pointer, m: B, into: out.pointer, mode: t.productMode) }
        for _ in 0..<repeats {
            var acc: [String: Double] = [:]
            for l in 0..<c.nLayers {
                let L = w[l]
                func op(_ key: String, _ body: () -> Void) {
                    let t0 = DispatchTime.now().uptimeNanoseconds
                    body()
                    acc[key, default: 0] += Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6
                }
                if !lisaSet.contains(l) { op("qk") { linear(L.wq, n: c.qDim, k: d); linear(L.wk, n: c.kvDim, k: d) } }
                op("v") { linear(L.wv, n: c.kvDim, k: d) }
                op("o") { linear(L.wo, n: d, k: c.qDim) }
                op("ffn") { linear(L.wGate, n: c.nFF, k: d); linear(L.wUp, n: c.nFF, k: d); linear(L.wDown, n: d, k: c.nFF) }
            }
            for (k, v) in acc { linearMs[k, default: []].append(v) }
            timed("lm") { linear(t.weights.output, n: c.vocabSize, k: d) }
        }
        func median(_ k: String) -> Double { let a = (linearMs[k] ?? [0]).sorted(); return a[a.count / 2] }
        var rows: [(String, Int, Double)] = []
        let std = c.nLayers - lisaSet.count
        rows.append(("W_Q, W_K (standard layers)", std, median("qk")))
        rows.append(("W_V", c.nLayers, median("v")))
        rows.append(("W_O", c.nLayers, median("o")))
        rows.append(("FFN gate, up, down", c.nLayers, median("ffn")))
        rows.append(("LM head", 1, median("lm")))
        // one standard attention of one sequence: H score rows against S keys, softmax, P·V
        let keys = FloatBuffer(count: S * c.kvDim, zeroed: false), probs = FloatBuffer(count: H * S, zeroed: false)  // [S, kvDim], [H, S]
        for i in 0..<keys.count { keys[i] = rng.next() }
        let attn = time {
            for h in 0..<H {
                BLAS.gemmNT(m: 1, n: S, k: c.headDim, a: x.pointer + h * c.headDim, lda: c.qDim, b: keys.pointer + (h / c.headsPerKV) * c.headDim,
                            ldb: c.kvDim, c: probs.pointer + h * S, ldc: S)
            }
            Kernels.softmaxRows(probs.pointer, rows: H, n: S)
            for h in 0..<H {
                BLAS.gemmNN(m: 1, n: c.headDim, k: S, a: probs.pointer + h * S, lda: S, b: keys.pointer + (h / c.headsPerKV) * c.headDim,
                            ldb: c.kvDim, c: out.pointer + h * c.headDim, ldc: c.qDim)
            }
        }
        rows.append(("attention scores+softmax+P·V (standard layers)", std * B, attn * Double(std * B)))
        if let L = rt?.layers.first {
            // a LiSA score call at S positions: K_LR of S − 1 rows recorded, then one query row
            let one = LiSARuntimeLayer(layer: L.layer)
            let hIn = FloatBuffer(count: S * d, zeroed: false), prev = FloatBuffer(count: H * S, zeroed: false)  // [S, d], [H, 1, S]
            for i in 0..<hIn.count { hIn[i] = rng.next() }
            for i in 0..<prev.count { prev[i] = rng.next() }
            one.observe(layer: L.layer.index, input: hIn.pointer, T: S - 1, p0: 0)
            let ms = time { one.scores(layer: L.layer.index, input: hIn.pointer, T: 1, p0: S - 1, prevScores: prev.pointer, S: S, into: probs.pointer) }
            rows.append(("LiSA scores (Q_LR, K_LR, A_Δ, FFN)", lisaSet.count * B, ms * Double(lisaSet.count * B)))
            rows.append(("P·V (LiSA layers, ≈ half the standard attention)", lisaSet.count * B, attn / 2 * Double(lisaSet.count * B)))
        }
        print("model \(modelOptions.model), weights \(t.weights.format.rawValue), kernel path \(KernelPath.name), BLAS kernel \(BLAS.coreName), \(modelOptions.threads) threads; batch \(B), \(S) cached positions; medians of \(repeats)")
        print(String(format: "whole decoding step: %.2f ms (%.2f tok/s)", step, Double(B) * 1000 / step))
        print("op                                                  calls   ms/step   share")
        for (name, calls, ms) in rows {
            print(name.padding(toLength: 50, withPad: " ", startingAt: 0) + String(format: "  %5d  %8.2f  %5.1f%%", calls, ms, 100 * ms / step))
        }
        let sum = rows.reduce(0) { $0 + $1.2 }
        print("sum of the ops timed alone".padding(toLength: 50, withPad: " ", startingAt: 0) + String(format: "         %8.2f  %5.1f%%", sum, 100 * sum / step))
    }
}
