import Foundation
import GGUF
import LiSA
import Models
import Numerics
import TestSupport
import Testing

/// The joint phase's hand-written backward (frozen ops and the whole network) against central finite
/// differences in Float32 (see `gradCheck` for why 1e-2 relative is the tolerance at ε = 1e-2).
/// Directional derivative along the analytic gradient u = g/|g| (all tensors at once): the central difference
/// (L(θ+εu) − L(θ−εu))/2ε must equal |g|. Moving every coordinate at once gives a difference far above the
/// Float32 round-off of a whole-network loss, which per-coordinate quotients (gradients ~1e-3) are not.
func directionalCheck(_ params: [FloatBuffer], _ grads: [FloatBuffer], eps: Float = 1e-2, loss: () -> Double) -> Double
{
    precondition(
        params.count == grads.count && zip(params, grads).allSatisfy { $0.count == $1.count },
        "directionalCheck: parameters and gradients differ in shape")
    var sq = 0.0
    for g in grads { for i in 0..<g.count { sq += Double(g[i]) * Double(g[i]) } }
    let norm = sq.squareRoot()
    func shift(_ s: Float) {
        for (p, g) in zip(params, grads) { for i in 0..<p.count { p[i] += s * g[i] / Float(norm) } }
    }
    let saved = params.map(\.array)
    shift(eps); let lp = loss()
    for (p, v) in zip(params, saved) { for i in 0..<p.count { p[i] = v[i] } }
    shift(-eps); let lm = loss()
    for (p, v) in zip(params, saved) { for i in 0..<p.count { p[i] = v[i] } }
    let num = (lp - lm) / (2 * Double(eps))
    print("directional: finite difference \(num), |g| \(norm)")
    return abs(num - norm) / norm
}

@Suite struct JointGradientTests {
    static let tolerance = 1e-2
    /// Per-coordinate quotients of the whole-network loss in Float32 (gradients of ~1e-3 against a loss
    /// round-off of ~1e-6/ε): measured 1e-3 to 7e-2, and 0.101 on one DS_LoRA coordinate on an AVX-512 FP16
    /// Xeon (2026-12-02), so the per-coordinate bound is 0.15 — round-off, not a wrong gradient; the tight check is
    /// the directional one (`directionalCheck`, 1e-2), which holds there too.
    static let coordinateTolerance = 0.15

    @Test func rmsNorm() {
        var rng = GaussianRNG(seed: 11)
        let rows = 3, n = 16
        let x = randomBuffer(rows * n, &rng), w = randomBuffer(n, &rng), c = randomBuffer(rows * n, &rng)
        let y = FloatBuffer(count: rows * n)
        func loss() -> Double {
            Kernels.rmsNorm(x.pointer, w.pointer, y.pointer, rows: rows, n: n, eps: 1e-6); return dot(y, c)
        }
        let dx = FloatBuffer(count: rows * n)
        rmsNormBackward(x.pointer, w.pointer, dy: c.pointer, dx: dx.pointer, rows: rows, n: n, eps: 1e-6)
        let r = gradCheck(x, dx, samples: 48, loss: loss)
        print("gradcheck rmsNorm: max rel err \(r.worst) over \(r.compared) coordinates")
        #expect(r.worst < Self.tolerance)
        #expect(r.compared >= 48, "compared only \(r.compared) coordinates (\(r.kinks) at kinks)")
    }

    @Test(arguments: [true, false])
    func gatedActivation(gelu: Bool) {
        var rng = GaussianRNG(seed: 12)
        let n = 40
        let g = randomBuffer(n, &rng, scale: 2), u = randomBuffer(n, &rng), c = randomBuffer(n, &rng)
        let a = FloatBuffer(count: n)
        func loss() -> Double {
            a.pointer.update(from: g.pointer, count: n)
            Kernels.gatedActivation(a.pointer, u.pointer, count: n, gelu: gelu); return dot(a, c)
        }
        let dg = FloatBuffer(count: n), du = FloatBuffer(count: n)
        gatedActivationBackward(
            gate: g.pointer, up: u.pointer, da: c.pointer, dGate: dg.pointer, dUp: du.pointer, count: n, gelu: gelu)
        let r = gradCheck(g, dg, samples: n, loss: loss).merged(gradCheck(u, du, samples: n, loss: loss))
        print("gradcheck gated \(gelu ? "gelu-tanh" : "silu"): max rel err \(r.worst) over \(r.compared) coordinates")
        #expect(r.worst < Self.tolerance)
        #expect(r.compared >= 80, "compared only \(r.compared) of \(2 * n) coordinates (\(r.kinks) at kinks)")
    }

    @Test func crossEntropy() {
        // hand-computed: logits [0, ln 3] with target 1 → p = [1/4, 3/4], loss = ln(4/3), grad = [1/4, −1/4]
        var l: [Float] = [0, Float(log(3.0))]
        let loss = l.withUnsafeMutableBufferPointer {
            crossEntropyForwardBackward($0.baseAddress!, targets: [1], vocab: 2)
        }
        #expect(abs(loss - log(4.0 / 3)) < 1e-6)
        #expect(abs(l[0] - 0.25) < 1e-6 && abs(l[1] + 0.25) < 1e-6)
        var rng = GaussianRNG(seed: 13)
        let rows = 3, V = 9
        let x = randomBuffer(rows * V, &rng, scale: 2)
        let targets = [4, 0, 8]
        func lossFn() -> Double {
            let t = FloatBuffer(count: rows * V); t.pointer.update(from: x.pointer, count: rows * V)
            return crossEntropyForwardBackward(t.pointer, targets: targets, vocab: V)
        }
        let dx = FloatBuffer(count: rows * V); dx.pointer.update(from: x.pointer, count: rows * V)
        _ = crossEntropyForwardBackward(dx.pointer, targets: targets, vocab: V)
        let r = gradCheck(x, dx, samples: rows * V, loss: lossFn)
        print("gradcheck cross-entropy: max rel err \(r.worst) over \(r.compared) coordinates")
        #expect(r.worst < Self.tolerance)
        #expect(r.compared >= 27, "compared only \(r.compared) of \(rows * V) coordinates (\(r.kinks) at kinks)")
    }

    static func model(_ arch: String, _ dir: URL) throws -> Transformer {
        var t = TinyModel(arch: arch)
        if arch == "llama" { t.nLayers = 4 }
        let path = dir.appendingPathComponent("\(arch).gguf").path
        try t.write(to: path)
        return try Transformer(gguf: GGUFFile(path: path))
    }

    static let tokens = [1, 17, 250, 33, 9, 120, 77, 260, 5, 41, 199, 3]

    /// The training graph with no modules reproduces Transformer.forward's logits bit for bit: both run the one
    /// block definition (Transformer.layerForward) on the same products.
    @Test(arguments: ["gemma3", "llama", "qwen2"])
    func graphMatchesForward(arch: String) throws {
        let dir = try TestPaths.tempDir("graph-fwd"); defer { try? FileManager.default.removeItem(at: dir) }
        let m = try Self.model(arch, dir)
        let ref = try m.forward(Self.tokens, cache: m.makeCache(), logits: .all)
        let g = TrainingGraph(model: m, modules: TrainingModules())
        try g.forward(Self.tokens)
        var worst: Float = 0, scale: Float = 0
        try #require(g.logits.count == ref.values.count, "\(arch): \(g.logits.count) logits vs \(ref.values.count)")
        for i in 0..<ref.values.count {
            worst = max(worst, abs(ref.values[i] - g.logits[i])); scale = max(scale, abs(ref.values[i]))
        }
        print("graph vs forward (\(arch)): max |Δlogit| \(worst) of max |logit| \(scale)")
        #expect(worst == 0)
    }

    /// Entering the training forward at `entryLayer` with the teacher's residual stream (what the joint phase does)
    /// gives the same logits, scores and gradients, bit for bit, as running every layer.
    @Test(arguments: ["gemma3", "qwen2"])
    func enteringFromTheTeacherChangesNothing(arch: String) throws {
        let dir = try TestPaths.tempDir("graph-entry"); defer { try? FileManager.default.removeItem(at: dir) }
        let m = try Self.model(arch, dir)
        let n = arch == "gemma3" ? 3 : 2  // the tiny gemma3 has 6 layers, qwen2 3
        let L = LiSALayer(index: n, source: n - 1, config: m.config, rank: 4, ffn: .dlSilu, hidden: 16)
        L.params.initialize(seed: 3)
        let graph = TrainingGraph(model: m, modules: TrainingModules(lisa: [n: L]))
        let entry = try #require(graph.entryLayer)
        #expect(entry == n - 1)
        let teacher = try TeacherCapture.run(m, tokens: Self.tokens, layers: [L], entry: entry)
        func run(_ entering: (layer: Int, x: FloatBuffer)?) throws -> (logits: [Float], scores: [Float], grads: [Float])
        {
            try graph.forward(Self.tokens, entering: entering)
            let scores = graph.scores(layer: n).array
            _ = graph.lmLossAndGradient()
            let logits = graph.logits.array
            let grads = ModuleGrads(for: graph.modules)
            let t = teacher.scores[n]!, g = FloatBuffer(count: t.count)
            huberBackward(graph.scores(layer: n).pointer, t.pointer, count: t.count, scale: 0.1, da: g.pointer)
            graph.backward(lmScale: 0.75, scoreGrads: [n: g], grads: grads)
            return (logits, scores, grads.buffers.flatMap(\.array))
        }
        let full = try run(nil), entered = try run(teacher.entering(layer: entry))
        #expect(full.logits == entered.logits)
        #expect(full.scores.count == entered.scores.count)
        #expect(zip(full.scores, entered.scores).allSatisfy { $0 == $1 || ($0.isInfinite && $1.isInfinite) })
        #expect(full.grads == entered.grads && full.grads.contains { $0 != 0 })
        #expect(throws: CheckpointError.self) {
            try graph.forward(Self.tokens, entering: (layer: 1, x: FloatBuffer(count: 3)))
        }
    }

    /// L = β·Huber(A_n, A_n*) + (1−β)·CE through the whole network, LiSA layers in place (consecutive LiSA
    /// layers, so the A_{n−1} gradient chain is exercised, with standard layers above: Q/K-norm, RoPE, softmax,
    /// GELU/SiLU gates, post-norms, final norm, LM head). Gradients w.r.t. every LiSA tensor vs finite differences.
    @Test(arguments: [("gemma3", [2, 3]), ("llama", [1, 2])])
    func jointLiSA(arch: String, layers: [Int]) throws {
        let dir = try TestPaths.tempDir("joint-grad"); defer { try? FileManager.default.removeItem(at: dir) }
        let m = try Self.model(arch, dir)
        var lisa: [Int: LiSALayer] = [:]
        for n in layers {
            // smooth FFN: ReLU kinks over ~300 rows defeat finite differences
            let L = LiSALayer(index: n, source: n - 1, config: m.config, rank: 4, ffn: .dlSilu, hidden: 16)
            L.params.initialize(seed: UInt64(n))
            // move away from the DS-equivalent init and its ReLU kinks at 0
            var rng = GaussianRNG(seed: 100 + UInt64(n))
            for t in L.params.tensors { for i in 0..<t.buffer.count { t.buffer[i] += rng.next() * 0.1 } }
            lisa[n] = L
        }
        let beta: Float = 0.25
        let teacher = try TeacherCapture.run(m, tokens: Self.tokens, layers: Array(lisa.values))
        let graph = TrainingGraph(model: m, modules: TrainingModules(lisa: lisa))
        func loss(grads: ModuleGrads?) throws -> Double {
            try graph.forward(Self.tokens)
            let lm = graph.lmLossAndGradient()
            var kd = 0.0, scoreGrads: [Int: FloatBuffer] = [:]
            for n in layers {
                let a = graph.scores(layer: n), t = teacher.scores[n]!
                let (s, count) = huberForward(a.pointer, t.pointer, count: a.count)
                kd += s / Double(count) / Double(layers.count)
                let g = FloatBuffer(count: a.count)
                huberBackward(
                    a.pointer, t.pointer, count: a.count, scale: beta / Float(count * layers.count), da: g.pointer)
                scoreGrads[n] = g
            }
            if let grads { graph.backward(lmScale: 1 - beta, scoreGrads: scoreGrads, grads: grads) }
            return Double(beta) * kd + Double(1 - beta) * lm
        }
        let grads = ModuleGrads(for: graph.modules)
        _ = try loss(grads: grads)
        var all = GradCheckResult()
        for n in layers {
            #expect(lisa[n]!.params.tensors.count == grads.lisa[n]!.tensors.count)
            for (t, g) in zip(lisa[n]!.params.tensors, grads.lisa[n]!.tensors) {
                let r = gradCheck(t.buffer, g.buffer, samples: 12) { try! loss(grads: nil) }
                print("gradcheck joint \(arch) layer \(n) \(t.name): \(r.worst) over \(r.compared) coordinates")
                #expect(r.compared > 0, "\(arch) layer \(n) \(t.name): no coordinate compared (\(r.kinks) at kinks)")
                all = all.merged(r)
            }
        }
        #expect(all.worst < Self.coordinateTolerance)
        #expect(all.compared >= 90, "compared only \(all.compared) coordinates (\(all.kinks) at kinks)")
        let params = layers.flatMap { lisa[$0]!.params.tensors.map(\.buffer) },
            gs = layers.flatMap { grads.lisa[$0]!.tensors.map(\.buffer) }
        let directional = directionalCheck(params, gs) { try! loss(grads: nil) }
        print("directional joint \(arch): rel err \(directional)")
        #expect(directional < Self.tolerance)
    }

    /// DS_LoRA: LoRA on W^V, W^O and the FFN of a DS layer, LM loss only, gradients vs finite differences.
    @Test(arguments: ["gemma3", "llama"])
    func jointDSLoRA(arch: String) throws {
        let dir = try TestPaths.tempDir("lora-grad"); defer { try? FileManager.default.removeItem(at: dir) }
        let m = try Self.model(arch, dir)
        let c = m.config, n = 2
        let lora = LayerLoRA(rank: 2, dim: c.nEmbd, kvDim: c.kvDim, qDim: c.qDim, ffn: c.nFF)
        var rng = GaussianRNG(seed: 21)
        // B ≠ 0, so A gets a gradient
        for t in lora.tensors { for i in 0..<t.buffer.count { t.buffer[i] = rng.next() * 0.1 } }
        let graph = TrainingGraph(model: m, modules: TrainingModules(ds: [n], lora: [n: lora]))
        func loss(grads: ModuleGrads?) throws -> Double {
            try graph.forward(Self.tokens)
            let lm = graph.lmLossAndGradient()
            if let grads { graph.backward(lmScale: 1, scoreGrads: [:], grads: grads) }
            return lm
        }
        let grads = ModuleGrads(for: graph.modules)
        _ = try loss(grads: grads)
        var all = GradCheckResult()
        #expect(lora.tensors.count == grads.lora[n]!.tensors.count)
        for (t, g) in zip(lora.tensors, grads.lora[n]!.tensors) {
            let r = gradCheck(t.buffer, g.buffer, samples: 8) { try! loss(grads: nil) }
            print("gradcheck DS_LoRA \(arch) \(t.name): \(r.worst) over \(r.compared) coordinates")
            #expect(r.compared > 0, "\(arch) \(t.name): no coordinate compared (\(r.kinks) at kinks)")
            all = all.merged(r)
        }
        #expect(all.worst < Self.coordinateTolerance)
        #expect(all.compared >= 60, "compared only \(all.compared) coordinates (\(all.kinks) at kinks)")
        let directional = directionalCheck(lora.tensors.map(\.buffer), grads.lora[n]!.tensors.map(\.buffer)) {
            try! loss(grads: nil)
        }
        print("directional DS_LoRA \(arch): rel err \(directional)")
        #expect(directional < Self.tolerance)
    }
}
