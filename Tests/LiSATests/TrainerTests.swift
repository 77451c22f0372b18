import Basics
import Foundation
import GGUF
import LiSA
import Models
import Numerics
import TestSupport
import Testing

/// The local KD phase on a tiny gemma3: the loss falls, resume is exact, checkpoints refuse another model.
@Suite struct TrainerTests {
    static func tinyModel(_ dir: URL, seed: UInt64 = 1) throws -> (Transformer, String) {
        var t = TinyModel(arch: "gemma3"); t.seed = seed
        let path = dir.appendingPathComponent("gemma3-\(seed).gguf").path
        try t.write(to: path)
        return (try Transformer(gguf: GGUFFile(path: path)), try SHA256.hex(ofFile: path))
    }

    static func batches(_ n: Int) -> [[[Int]]] {
        var rng = SeededRandom(seed: 9)
        return (0..<n).map { _ in (0..<2).map { _ in [1] + (0..<11).map { _ in Int(rng.next() % 299) + 1 } } }
    }

    static func options(steps: Int) -> LiSATrainOptions {
        var o = LiSATrainOptions()
        o.seed = 5; o.hidden = 32
        o.optimizer.lr = 1e-2; o.optimizer.warmupSteps = 2; o.optimizer.totalSteps = steps
        return o
    }

    @Test func kdLossDecreases() throws {
        let dir = try TestPaths.tempDir("lisa-train"); defer { try? FileManager.default.removeItem(at: dir) }
        let (model, _) = try Self.tinyModel(dir)
        let trainer = LocalKDTrainer(
            model: model, sharing: SharingConfig(lisaLayers: [2, 3, 4]), options: Self.options(steps: 40))
        let data = Self.batches(4)
        let before = try data.reduce(0) { $0 + (try trainer.step(batch: $1, update: false)) }
        for s in 0..<40 { try trainer.step(batch: data[s % 4]) }
        let after = try data.reduce(0) { $0 + (try trainer.step(batch: $1, update: false)) }
        print("tiny local KD: loss \(before / 4) → \(after / 4) after 40 steps")
        #expect(after < 0.8 * before)
    }

    /// Table 7's "align only": W^LR_Q starts at zero and neither W^LR tensor moves, so A_Δ stays 0; the FFN trains,
    /// the loss still falls, and the trainable count excludes W^LR.
    @Test func alignOnlyFreezesTheLowRankDifference() throws {
        let dir = try TestPaths.tempDir("lisa-align-only"); defer { try? FileManager.default.removeItem(at: dir) }
        let (model, _) = try Self.tinyModel(dir)
        var o = Self.options(steps: 20); o.alignOnly = true
        let trainer = LocalKDTrainer(model: model, sharing: SharingConfig(lisaLayers: [2, 3]), options: o)
        let k0 = trainer.layers.map { $0.params.lowRankK.array },
            ffn0 = trainer.layers.map { $0.params.alignFFN.tensors[0].buffer.array }
        #expect(trainer.layers.allSatisfy { $0.params.lowRankQ.array.allSatisfy { $0 == 0 } })
        let data = Self.batches(4)
        let before = try data.reduce(0) { $0 + (try trainer.step(batch: $1, update: false)) }
        for s in 0..<20 { try trainer.step(batch: data[s % 4]) }
        let after = try data.reduce(0) { $0 + (try trainer.step(batch: $1, update: false)) }
        for (k, L) in trainer.layers.enumerated() {
            #expect(L.params.lowRankQ.array.allSatisfy { $0 == 0 }, "layer \(L.index): W^LR_Q moved")
            #expect(L.params.lowRankK.array == k0[k], "layer \(L.index): W^LR_K moved")
            #expect(L.params.alignFFN.tensors[0].buffer.array != ffn0[k], "layer \(L.index): the FFN did not train")
        }
        let lowRank = trainer.layers.reduce(0) { $0 + $1.params.lowRankQ.count + $1.params.lowRankK.count }
        let all = trainer.tensorNames.reduce(0) { $0 + $1.buffer.count }
        #expect(trainer.trainableParameterCount == all - lowRank)
        print("align only: loss \(before / 4) → \(after / 4)")
        #expect(after < before)
    }

    @Test func resumeGivesIdenticalParameters() throws {
        let dir = try TestPaths.tempDir("lisa-resume"); defer { try? FileManager.default.removeItem(at: dir) }
        let (model, sha) = try Self.tinyModel(dir)
        let sharing = SharingConfig(lisaLayers: [2, 3]), data = Self.batches(6)
        let straight = LocalKDTrainer(model: model, sharing: sharing, options: Self.options(steps: 6))
        for b in data { try straight.step(batch: b) }

        let first = LocalKDTrainer(model: model, sharing: sharing, options: Self.options(steps: 6))
        for b in data[0..<3] { try first.step(batch: b) }
        let ckpt = dir.appendingPathComponent("ckpt.safetensors")
        try first.save(to: ckpt, modelSHA: sha)
        var other = Self.options(steps: 6); other.seed = 99  // init is overwritten by the checkpoint
        let resumed = LocalKDTrainer(model: model, sharing: sharing, options: other)
        try resumed.load(from: ckpt, modelSHA: sha)
        #expect(resumed.optimizer.step == 3)
        for b in data[3..<6] { try resumed.step(batch: b) }
        for (a, b) in zip(straight.tensorNames, resumed.tensorNames) {
            #expect(a.buffer.array == b.buffer.array, "\(a.name) differs after resume")
        }
    }

    @Test func checkpointOfAnotherModelIsRefused() throws {
        let dir = try TestPaths.tempDir("lisa-ckpt"); defer { try? FileManager.default.removeItem(at: dir) }
        let (model, sha) = try Self.tinyModel(dir)
        let (_, otherSHA) = try Self.tinyModel(dir, seed: 2)
        #expect(sha != otherSHA)
        let trainer = LocalKDTrainer(
            model: model, sharing: SharingConfig(lisaLayers: [3]), options: Self.options(steps: 1))
        let ckpt = dir.appendingPathComponent("c.safetensors")
        try trainer.save(to: ckpt, modelSHA: sha)
        #expect(throws: CheckpointError.self) { try trainer.load(from: ckpt, modelSHA: otherSHA) }
        do { try trainer.load(from: ckpt, modelSHA: otherSHA) } catch { print("refused: \(error)") }
        // A different sharing config is refused too.
        let moved = LocalKDTrainer(
            model: model, sharing: SharingConfig(lisaLayers: [4]), options: Self.options(steps: 1))
        #expect(throws: CheckpointError.self) { try moved.load(from: ckpt, modelSHA: sha) }
    }

    @Test func safetensorsRoundTrip() throws {
        let dir = try TestPaths.tempDir("lisa-st"); defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("t.safetensors")
        let a: [Float] = [1, -2.5, .pi, 0, 7, 8], b: [Float] = [42]
        try a.withUnsafeBufferPointer { pa in
            try b.withUnsafeBufferPointer { pb in
                try Safetensors.write([("a", [2, 3], pa), ("b", [1], pb)], metadata: ["k": "v"], to: url)
            }
        }
        let data = try Data(contentsOf: url)
        let n = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        #expect(data.count == 8 + n + 4 * 7)
        let (t, meta) = try Safetensors.read(url)
        #expect(t["a"]?.shape == [2, 3] && t["a"]?.values == a && t["b"]?.values == b && meta["k"] == "v")
    }

    /// A checkpoint's header file holds its SHA-256 (of the whole file, as `lisa eval --lisa` records it), size,
    /// metadata and tensor sizes, and reads back equal to the header read from the checkpoint itself.
    @Test func headerFileRoundTrip() throws {
        let dir = try TestPaths.tempDir("lisa-header"); defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("lisa-100.safetensors")
        let a: [Float] = [1, -2.5, .pi, 0, 7, 8]
        try a.withUnsafeBufferPointer { pa in
            try Safetensors.write([("a", [2, 3], pa)], metadata: ["method": "lisa", "ffn": "dl"], to: url)
        }
        let h = try CheckpointHeader(checkpoint: url)
        let sha = try SHA256.hex(ofFile: url.path), bytes = try Data(contentsOf: url).count
        #expect(h.sha256 == sha && h.bytes == bytes)
        #expect(h.tensorCounts == ["a": 6] && h.metadata == ["method": "lisa", "ffn": "dl"])
        let file = try h.write(besides: url)
        #expect(file.lastPathComponent == "lisa-100.header.json" && CheckpointHeader.isHeaderFile(file.path))
        #expect(try CheckpointHeader.read(file.path) == h)
        #expect(try CheckpointHeader.read(url.path) == h)
        // a damaged header file is a sentence naming it
        try Data("{\"sha256\": 1}".utf8).write(to: file)
        do { _ = try CheckpointHeader.read(file.path); Issue.record("read a damaged header") } catch let e
            as CheckpointError
        {
            #expect("\(e)".hasPrefix("\(file.path) is not a checkpoint header file (JSON with sha256"), "\(e)")
        }
    }

    /// A missing or truncated checkpoint is a sentence naming the file, not a Foundation error dump.
    @Test func missingAndTruncatedCheckpointsNameTheFile() throws {
        let dir = try TestPaths.tempDir("lisa-st-bad"); defer { try? FileManager.default.removeItem(at: dir) }
        let gone = dir.appendingPathComponent("gone.safetensors")
        do { _ = try Safetensors.read(gone); Issue.record("read a missing file") } catch let e as CheckpointError {
            #expect("\(e)" == "There is no checkpoint at \(gone.path) (no such file).")
        }
        let cut = dir.appendingPathComponent("cut.safetensors")
        try Data([1, 2, 3]).write(to: cut)
        do { _ = try Safetensors.read(cut); Issue.record("read a 3-byte file") } catch let e as CheckpointError {
            #expect("\(e)".contains(cut.path) && "\(e)".contains("shorter than 8 bytes"), "\(e)")
        }
    }
}
