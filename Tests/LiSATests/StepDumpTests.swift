import Foundation
import LiSA
import Models
import Numerics
import TestSupport
import Testing

/// `lisa train --dump-step` (LocalKDTrainer.dumpStep): one step's losses and gradients without an update — the
/// Swift side of python/lisa_torch's agreement tests, checked here on its own.
@Suite struct StepDumpTests {
    /// The dumped gradient is the loss's: a central difference along it gives its norm (bound 1e-2 relative), the
    /// losses equal a step without update, and nothing moves (parameters, optimizer step).
    @Test(arguments: [false, true]) func dumpHoldsTheStepsGradientAndChangesNothing(joint: Bool) throws {
        let dir = try TestPaths.tempDir("lisa-dump"); defer { try? FileManager.default.removeItem(at: dir) }
        let (model, _) = try TrainerTests.tinyModel(dir)
        let sharing = SharingConfig(lisaLayers: [2, 3])
        func trainer() -> LocalKDTrainer {
            let t = LocalKDTrainer(model: model, sharing: sharing, options: TrainerTests.options(steps: 4))
            // off the DS-equivalent init, so that W_LR has a gradient too
            for n in t.tensorNames { for i in 0..<n.buffer.count { n.buffer[i] += 0.01 * Float(i % 7 - 3) } }
            return t
        }
        func loss(_ t: LocalKDTrainer, _ b: [[Int]]) throws -> Double {
            joint ? try t.jointStep(batch: b, beta: 0.25, update: false).total : try t.step(batch: b, update: false)
        }
        let batch = TrainerTests.batches(1)[0], t = trainer(), before = t.tensorNames.map(\.buffer.array)
        let url = dir.appendingPathComponent("dump.safetensors")
        try t.dumpStep(batch: batch, joint: joint, beta: 0.25, to: url)
        #expect(t.optimizer.step == 0)
        #expect(t.tensorNames.map(\.buffer.array) == before)
        let (tensors, meta) = try Safetensors.read(url)
        #expect(meta["phase"] == (joint ? "joint" : "local"))
        #expect(Double(meta["total"]!)! == (try loss(t, batch)))
        #expect(tensors["tokens"]!.values.map { Int($0) } == batch.flatMap { $0 })
        var g: [[Float]] = [], norm2 = 0.0
        for (k, n) in t.tensorNames.enumerated() {
            #expect(tensors["param." + n.name]!.values == before[k])
            let v = tensors["grad." + n.name]!.values
            #expect(v.contains { $0 != 0 }, "\(n.name): zero gradient")
            g.append(v); norm2 += v.reduce(0) { $0 + Double($1) * Double($1) }
        }
        let eps = 1e-3, norm = norm2.squareRoot()
        func shifted(_ s: Double) throws -> Double {
            let u = trainer()
            for (k, n) in u.tensorNames.enumerated() {
                for i in 0..<n.buffer.count { n.buffer[i] += Float(s * eps * Double(g[k][i]) / norm) }
            }
            return try loss(u, batch)
        }
        let slope = (try shifted(1) - (try shifted(-1))) / (2 * eps)
        print("dump-step \(joint ? "joint" : "local"): |g| \(norm), central difference along g \(slope)")
        #expect(abs(slope - norm) <= 1e-2 * norm)
    }
}
