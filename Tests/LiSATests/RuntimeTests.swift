import Basics
import Foundation
import GGUF
import LiSA
import Models
import Numerics
import TestSupport
import Testing

/// LiSA layers inside the full forward pass (prefill and token-by-token decoding) with a low-rank K cache.
@Suite struct RuntimeTests {
    static func model(_ arch: String, _ dir: URL) throws -> (Transformer, String) {
        let path = dir.appendingPathComponent("\(arch).gguf").path
        try TinyModel(arch: arch).write(to: path)
        return (try Transformer(gguf: GGUFFile(path: path)), try SHA256.hex(ofFile: path))
    }

    /// A tiny qwen2 model with a LiSA checkpoint on layers 1 and 2 (r = 4), saved in `dir`.
    static func checkpoint(_ dir: URL, trainOneStep: Bool) throws -> (Transformer, String, URL) {
        let (model, sha) = try model("qwen2", dir)
        var o = LiSATrainOptions(); o.hidden = 32; o.rank = 4
        let sharing = SharingConfig(
            lisaLayers: [1, 2], nLayers: model.config.nLayers, modelSHA256: sha, arch: model.config.arch.rawValue)
        let trainer = LocalKDTrainer(model: model, sharing: sharing, options: o)
        if trainOneStep { try trainer.step(batch: [tokens]) }
        let ckpt = dir.appendingPathComponent("ckpt.safetensors")
        try trainer.save(to: ckpt, modelSHA: sha)
        return (model, sha, ckpt)
    }

    /// LiSA layers with random (not DS-equivalent) weights so that every term of eqs 3–4 matters.
    static func layers(_ idx: [Int], model: Transformer, ffn: AlignFFNKind = .dl, perturb: Float = 0.1) -> [LiSALayer] {
        idx.map { n in
            let L = LiSALayer(index: n, source: n - 1, config: model.config, rank: 4, ffn: ffn, hidden: 32)
            L.params.initialize(seed: UInt64(100 + n))
            var rng = GaussianRNG(seed: UInt64(7 * n + 1))
            for t in L.params.alignFFN.tensors { for i in 0..<t.buffer.count { t.buffer[i] += rng.next() * perturb } }
            for i in 0..<L.params.lowRankQ.count { L.params.lowRankQ[i] *= 20 }  // A_Δ of order 1
            for i in 0..<L.params.lowRankK.count { L.params.lowRankK[i] *= 20 }
            return L
        }
    }

    /// Keeps every layer's scores, probs (last call) and residual outputs.
    final class Capture: AttentionTap, ResidualTap {
        var providerLayers: Set<Int> = []
        var scores: [Int: [Float]] = [:], probs: [Int: [Float]] = [:], x: [Int: [Float]] = [:]
        func attention(_ e: AttentionEvent) {
            let n = e.heads * e.qLen * e.kLen
            #expect(e.fromProvider == (e.policy == .standard && providerLayers.contains(e.layer)))
            scores[e.layer] = Array(UnsafeBufferPointer(start: e.scores, count: n))
            probs[e.layer] = Array(UnsafeBufferPointer(start: e.probs, count: n))
        }
        func layerOutput(layer: Int, x p: UnsafePointer<Float>, rows: Int, dim: Int) {
            x[layer] = Array(UnsafeBufferPointer(start: p, count: rows * dim))
        }
    }

    static func maxDiff(_ a: [Float], _ b: UnsafePointer<Float>) -> Float {
        var w: Float = 0
        for i in 0..<a.count {
            if a[i].isInfinite || b[i].isInfinite {
                if a[i] != b[i] { w = .infinity }
            } else {
                w = max(w, abs(a[i] - b[i]))
            }
        }
        return w
    }

    static let tokens = [1, 260, 45, 77, 261, 299, 12, 3, 262, 263, 99, 150]  // 12 > window 8

    /// (a) Prefill with the providers = `lisaAttentionForward` on the same H and A_{n−1} (captured in that run).
    @Test(arguments: [("gemma3", [2, 3]), ("qwen2", [1, 2])])
    func prefillMatchesTrainingForward(arch: String, lisa: [Int]) throws {
        let dir = try TestPaths.tempDir("lisa-rt"); defer { try? FileManager.default.removeItem(at: dir) }
        let (model, _) = try Self.model(arch, dir)
        let Ls = Self.layers(lisa, model: model)
        let rt = LiSARuntime(sharing: SharingConfig(lisaLayers: lisa, nLayers: model.config.nLayers), layers: Ls)
        let cap = Capture()
        cap.providerLayers = Set(lisa)
        let cache = model.makeCache()
        _ = try model.forward(
            Self.tokens, cache: cache, logits: .none, tap: cap, residualTap: cap, scoreProviders: rt.providers)
        let T = Self.tokens.count, c = model.config
        for L in Ls {
            let n = L.index
            let h = FloatBuffer(count: T * c.nEmbd, zeroed: false)
            cap.x[n - 1]!.withUnsafeBufferPointer {
                Kernels.rmsNorm(
                    $0.baseAddress!, model.weights.layers[n].attnNorm.pointer, h.pointer, rows: T, n: c.nEmbd,
                    eps: c.rmsEps)
            }
            let prev = cap.scores[n - 1]!, acts = LiSAActs(layer: L, T: T)
            prev.withUnsafeBufferPointer {
                lisaAttentionForward(L, input: h.pointer, prevScores: $0.baseAddress!, acts: acts)
            }
            try #require(
                cap.scores[n]!.count == acts.scores.count && cap.probs[n]!.count == acts.probs.count
                    && cap.probs[n - 1]!.count == cap.probs[n]!.count, "\(arch) layer \(n): shapes differ")
            let ds = Self.maxDiff(cap.scores[n]!, acts.scores.pointer),
                dp = Self.maxDiff(cap.probs[n]!, acts.probs.pointer)
            print("\(arch) layer \(n): max |A_rt − A_train| = \(ds), max |P_rt − P_train| = \(dp)")
            #expect(ds <= 1e-5); #expect(dp <= 1e-5)
            // the scores are not DS's: the low-rank branch and the FFN matter
            #expect(Self.maxDiff(cap.probs[n]!, cap.probs[n - 1]!) > 1e-3)
            #expect(cache.bytes(layer: n).k == 0)
            withExtendedLifetime((h, acts)) {}
        }
    }

    /// K_LR in F16 (the default with quantized weights, as K and V): each stored value is the F32 cache's value
    /// rounded to binary16, the bytes are 2 per value (§5.2's element size), and the logits stay within the
    /// rounding's reach of the F32 cache's.
    @Test func lowRankKeysInF16AreTheRoundedF32Keys() throws {
        let dir = try TestPaths.tempDir("lisa-klr16"); defer { try? FileManager.default.removeItem(at: dir) }
        let (model, _) = try Self.model("qwen2", dir)
        let lisa = [1, 2], c = model.config
        let Ls = Self.layers(lisa, model: model)
        let sharing = SharingConfig(lisaLayers: lisa, nLayers: c.nLayers)
        let rt32 = LiSARuntime(sharing: sharing, layers: Ls),
            rt16 = LiSARuntime(sharing: sharing, layers: Ls, element: .f16)
        #expect(rt16.replica().layers.allSatisfy { $0.element == .f16 })
        let prompt = [1, 260, 45, 77, 261, 12, 150, 33, 9, 120]
        let a = try model.forward(prompt, cache: model.makeCache(), logits: .all, scoreProviders: rt32.providers)
        let b = try model.forward(prompt, cache: model.makeCache(), logits: .all, scoreProviders: rt16.providers)
        for (l32, l16) in zip(rt32.layers, rt16.layers) {
            let kW = c.nKVHeads * l32.layer.rank
            #expect(l16.count == prompt.count && l16.lowRankKBytes == prompt.count * kW * 2)
            #expect(l32.lowRankKBytes == prompt.count * kW * 4)
            let rounded = l32.lowRankKeys.map { HalfFloat.toFloat(HalfFloat.fromFloat($0)) }
            try #require(l16.lowRankKeys.count == rounded.count)
            if l16.layer.index == lisa[0] {
                // the first LiSA layer sees the same input either way: its K_LR is the F32 one rounded, exactly
                #expect(l16.lowRankKeys == rounded, "F16 K_LR of layer \(lisa[0]) is not the F32 K_LR rounded")
            } else {
                // later ones see inputs already changed by the rounding above: within a few binary16 ulps
                let worst = zip(l16.lowRankKeys, l32.lowRankKeys).map { abs($0 - $1) / max(abs($1), 1) }.max() ?? 0
                #expect(worst < 1e-2, "layer \(l16.layer.index): relative |Δ K_LR| \(worst)")
            }
            #expect(l16.lowRankKeys != l32.lowRankKeys)
        }
        try #require(a.values.count == b.values.count)
        let worst = zip(a.values, b.values).map { abs($0 - $1) }.max() ?? 0
        print("K_LR F16 vs F32: max |Δlogit| \(worst)")
        #expect(worst > 0 && worst < 5e-2)
        let plan16 = MemoryPlan(model: model, lisa: rt16), plan32 = MemoryPlan(model: model, lisa: rt32)
        #expect(
            plan16.cacheBytes(layer: 1, positions: 100).lowRankK * 2
                == plan32.cacheBytes(layer: 1, positions: 100).lowRankK)
    }

    /// (b) Greedy decoding with the KV cache and low-rank K cache = re-running the full prefill at each step.
    @Test(arguments: [("gemma3", [2, 3, 4]), ("qwen2", [1, 2])])
    func incrementalEqualsFullRecompute(arch: String, lisa: [Int]) throws {
        let dir = try TestPaths.tempDir("lisa-rt"); defer { try? FileManager.default.removeItem(at: dir) }
        let (model, _) = try Self.model(arch, dir)
        let rt = LiSARuntime(
            sharing: SharingConfig(lisaLayers: lisa, nLayers: model.config.nLayers),
            layers: Self.layers(lisa, model: model))
        let prompt = [1, 260, 45, 77, 261, 12, 150, 33]
        let gen = try model.generate(
            promptIDs: prompt, tokenizer: nil,
            options: GenerationOptions(maxTokens: 16, stopAtEOS: false), scoreProviders: rt.providers)
        var ids = prompt, full: [Int] = [], fullLogits: [ArraySlice<Float>] = []
        var sampler = Sampler.greedy()
        for _ in 0..<16 {
            let logits = try model.forward(ids, cache: model.makeCache(), scoreProviders: rt.providers)
            let next = sampler.sample(logits.last)
            full.append(next); ids.append(next); fullLogits.append(logits.last)
        }
        // the logits of every step, incremental (one row per call) vs full (the tiny gemma3 tends to repeat a token,
        // so the logits are the sharper check)
        let cache = model.makeCache()
        rt.reset()
        var worst: Float = 0
        var inc = try model.forward(prompt, cache: cache, scoreProviders: rt.providers)
        for (k, t) in full.enumerated() {
            try #require(inc.last.count == fullLogits[k].count, "step \(k): logits of different lengths")
            for (a, b) in zip(inc.last, fullLogits[k]) { worst = max(worst, abs(a - b)) }
            if k < full.count - 1 { inc = try model.forward([t], cache: cache, scoreProviders: rt.providers) }
        }
        print("\(arch) LiSA \(lisa): generated \(gen.ids); max |logit_inc − logit_full| = \(worst)")
        #expect(gen.ids == full)
        #expect(worst <= 1e-4)
        #expect(rt.layers.allSatisfy { $0.count == ids.count - 1 })
    }

    /// (c) At the DS-equivalent initialisation the runtime layer's probabilities equal DS's (prefill and decoding).
    @Test(arguments: [AlignFFNKind.dl, .dlSilu, .sl])
    func dsEquivalentInitEqualsDirectSharing(kind: AlignFFNKind) throws {
        let dir = try TestPaths.tempDir("lisa-rt"); defer { try? FileManager.default.removeItem(at: dir) }
        let (model, _) = try Self.model("gemma3", dir)
        for n in [2, 3, 4] {
            let L = LiSALayer(index: n, source: n - 1, config: model.config, ffn: kind, hidden: 32)
            L.params.initialize(seed: 42)
            let rt = LiSARuntimeLayer(layer: L)
            let capL = Capture(), capD = Capture()
            capL.providerLayers = [n]
            let cacheL = model.makeCache(), cacheD = model.makeCache()
            var worst: Float = 0
            for (k, chunk) in [Self.tokens, [5], [17], [250]].enumerated() {
                _ = try model.forward(chunk, cache: cacheL, logits: .none, tap: capL, scoreProviders: [n: rt])
                _ = try model.forward(
                    chunk, cache: cacheD, logits: .none, policies: AttentionPolicies([n: .directShare(headMap: nil)]),
                    tap: capD)
                let a = capL.probs[n]!, b = capD.probs[n]!
                #expect(a.count == b.count, "call \(k)")
                for i in 0..<min(a.count, b.count) { worst = max(worst, abs(a[i] - b[i])) }
            }
            print("DS-equivalent \(kind.rawValue) layer \(n): max |P_LiSA − P_DS| = \(worst)")
            #expect(worst <= 1e-6)
        }
    }

    /// (d) Measured cache bytes after a forward against the §5.2 formulas (Float32 caches, h_kv in the K term); an
    /// F16 cache holds K and V in 2 bytes per value.
    @Test func memoryReportMatchesFormulas() throws {
        let dir = try TestPaths.tempDir("lisa-rt"); defer { try? FileManager.default.removeItem(at: dir) }
        let (model, _) = try Self.model("gemma3", dir)
        let c = model.config, lisa = [2, 3, 4], r = 4
        let rt = LiSARuntime(
            sharing: SharingConfig(lisaLayers: lisa, nLayers: c.nLayers), layers: Self.layers(lisa, model: model))
        let base = model.makeCache(element: .f32), cache = model.makeCache(element: .f32)
        let l = Self.tokens.count
        let half = model.makeCache(element: .f16)
        _ = try model.forward(Self.tokens, cache: half)
        #expect(half.bytes.k == c.nLayers * l * c.kvDim * 2 && half.bytes.v == c.nLayers * l * c.kvDim * 2)
        _ = try model.forward(Self.tokens, cache: base)
        _ = try model.forward(Self.tokens, cache: cache, scoreProviders: rt.providers)
        let std = MemoryReport(cache: base), rep = rt.memory(cache: cache)
        for L in rep.layers {
            #expect(L.vBytes == l * c.kvDim * 4)
            if lisa.contains(L.index) {
                #expect(L.kBytes == 0); #expect(L.lowRankKBytes == l * c.nKVHeads * r * 4)
            } else {
                #expect(L.kBytes == l * c.kvDim * 4); #expect(L.lowRankKBytes == 0)
            }
        }
        let kSave = MemoryReport.kCacheSaving(
            lisaLayers: lisa.count, kvHeads: c.nKVHeads, headDim: c.headDim, rank: r, length: l)
        #expect(std.totalBytes - rep.totalBytes == kSave)
        #expect(std.vBytes == rep.vBytes)
        #expect(kSave == 3 * 2 * 12 * (16 - 4) * 4)
        #expect(
            MemoryReport.prefillSaving(
                lisaLayers: 3, heads: c.nHeads, kvHeads: c.nKVHeads, headDim: c.headDim, rank: r, length: l)
                == kSave - c.nHeads * l * l * 4)
        // one decoding step: l + 1 positions, one score row per head
        _ = try model.forward([7], cache: base); _ = try model.forward([7], cache: cache, scoreProviders: rt.providers)
        let save1 = MemoryReport(cache: base).totalBytes - rt.memory(cache: cache).totalBytes
        #expect(
            save1
                == MemoryReport.kCacheSaving(
                    lisaLayers: 3, kvHeads: c.nKVHeads, headDim: c.headDim, rank: r, length: l + 1))
        #expect(
            MemoryReport.decodingSaving(
                lisaLayers: 3, heads: c.nHeads, kvHeads: c.nKVHeads, headDim: c.headDim, rank: r, length: l + 1)
                == save1 - c.nHeads * (l + 1) * 4)
        print(
            "memory: standard \(std.totalBytes) B, LiSA \(rep.totalBytes) B (K \(rep.kBytes), K_LR "
                + "\(rep.lowRankKBytes), V \(rep.vBytes))"
        )
    }

    /// A checkpoint of the local KD trainer loads into runtime layers; another model's checkpoint is refused.
    @Test func loadsTrainerCheckpoint() throws {
        let dir = try TestPaths.tempDir("lisa-rt"); defer { try? FileManager.default.removeItem(at: dir) }
        let (model, sha) = try Self.model("gemma3", dir)
        var o = LiSATrainOptions(); o.hidden = 32; o.rank = 4; o.ffn = .sl
        let sharing = SharingConfig(
            lisaLayers: [2, 3], nLayers: model.config.nLayers, modelSHA256: sha, arch: model.config.arch.rawValue)
        let trainer = LocalKDTrainer(model: model, sharing: sharing, options: o)
        try trainer.step(batch: [Self.tokens])
        let url = dir.appendingPathComponent("ckpt.safetensors")
        try trainer.save(to: url, modelSHA: sha)
        let rt = try LiSARuntime.load(checkpoint: url, model: model, modelSHA: sha)
        #expect(rt.layers.map(\.layer.index) == [2, 3])
        #expect(rt.layers.count == trainer.layers.count)
        for (a, b) in zip(rt.layers.map(\.layer), trainer.layers) {
            #expect(a.rank == 4 && a.params.alignFFN.kind == .sl)
            #expect(a.params.tensors.map(\.name) == b.params.tensors.map(\.name))
            for (x, y) in zip(a.params.tensors, b.params.tensors) {
                #expect(
                    Array(UnsafeBufferPointer(start: x.buffer.pointer, count: x.buffer.count))
                        == Array(UnsafeBufferPointer(start: y.buffer.pointer, count: y.buffer.count)), "\(x.name)")
            }
        }
        #expect(throws: CheckpointError.self) { try LiSARuntime.load(checkpoint: url, model: model, modelSHA: "0000") }
    }

    /// `lisa generate --lisa ckpt` decodes with the checkpoint's LiSA layers: same tokens as in-process `generate`.
    @Test func generateCommandRunsCheckpoint() throws {
        let dir = try TestPaths.tempDir("lisa-rt"); defer { try? FileManager.default.removeItem(at: dir) }
        let (model, sha, ckpt) = try Self.checkpoint(dir, trainOneStep: true)
        let gguf = dir.appendingPathComponent("qwen2.gguf").path
        let r = try LisaBinary.run([
            "generate", gguf, "--prompt", "abc", "-n", "6", "--greedy", "--json", "--ignore-eos", "--lisa", ckpt.path,
        ])
        #expect(r.status == 0, "\(r.stderr)")
        let obj = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        let promptIDs = obj["prompt_ids"] as! [Int], ids = obj["ids"] as! [Int]
        let rt = try LiSARuntime.load(checkpoint: ckpt, model: model, modelSHA: sha)
        let ref = try model.generate(
            promptIDs: promptIDs, tokenizer: nil,
            options: GenerationOptions(maxTokens: 6, stopAtEOS: false), scoreProviders: rt.providers)
        #expect(ids == ref.ids)
        #expect(r.stderr.contains("LiSA layers (0-based): 1,2"))
        let bad = try LisaBinary.run([
            "generate", gguf, "--prompt", "abc", "-n", "2", "--lisa",
            dir.appendingPathComponent("none.safetensors").path,
        ])
        #expect(bad.status != 0)
    }

    /// `lisa bench generate` times baseline and LiSA in one run and reports the smaller LiSA cache.
    @Test func benchGenerateComparesBaselineAndLiSA() throws {
        let dir = try TestPaths.tempDir("lisa-bench"); defer { try? FileManager.default.removeItem(at: dir) }
        let (_, _, ckpt) = try Self.checkpoint(dir, trainOneStep: false)
        let gguf = dir.appendingPathComponent("qwen2.gguf").path
        let r = try LisaBinary.run(["bench", "generate", gguf, "--lisa", ckpt.path, "--io", "8:4", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let rows =
            (try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any])["results"]
            as! [[String: Any]]
        let base = rows.first { $0["mode"] as? String == "baseline" }!,
            lisa = rows.first { $0["mode"] as? String == "lisa" }!
        // 8 + 4 − 1 = 11 cached positions (the last generated token is never fed back); LiSA layers 1 and 2
        // keep h_kv·r = 2·4 low-rank key values per token instead of h_kv·d_k = 2·16 K values, both in F16
        // (the CLI's default K/V element, which K_LR follows).
        let saved = 2 * 11 * (2 * 16 * 2 - 2 * 4 * 2)
        #expect(base["cache_bytes"] as! Int - (lisa["cache_bytes"] as! Int) == saved)
        let bad = try LisaBinary.run(["bench", "generate", gguf, "--io", "8"])
        #expect(bad.status != 0 && bad.stderr.contains("--io: \"8\" is not prompt:generated"))
        // batch 2: both sides decode two sequences together; caches are two sequences' (NF: same cache layout)
        let r2 = try LisaBinary.run([
            "bench", "generate", gguf, "--lisa", ckpt.path, "--io", "8:4", "--batch", "2", "--nf", "--json",
        ])
        #expect(r2.status == 0, "\(r2.stderr)")
        let rows2 =
            (try JSONSerialization.jsonObject(with: Data(r2.stdout.utf8)) as! [String: Any])["results"]
            as! [[String: Any]]
        // --nf adds a third side; NF keeps LiSA's cache layout
        #expect(rows.map { $0["mode"] as! String } == ["baseline", "lisa"])
        #expect(rows2.map { $0["mode"] as! String } == ["baseline", "lisa", "nf"])
        for (a, b) in zip(rows + [rows[1]], rows2) {
            #expect(b["batch"] as? Int == 2 && b["cache_bytes"] as! Int == 2 * (a["cache_bytes"] as! Int))
        }
        // mean ± s.d. over the repetitions (one here: the mean is the fastest, the s.d. 0)
        #expect(rows2.allSatisfy { $0["repeats"] as? Int == 1 && $0["throughput_sd_tokens_per_s"] as? Double == 0 })
        #expect(rows2.allSatisfy {
            $0["throughput_mean_tokens_per_s"] as? Double == $0["throughput_tokens_per_s"] as? Double
        })
        // a budget of exactly the larger side's plan for 2 sequences (the tiny model's LiSA parameters outweigh a
        // sequence's cache): that side runs 2, the other at least 2
        let planned = rows2.map { $0["planned_total_bytes"] as! Int }, need = planned.max()!
        let r3 = try LisaBinary.run([
            "bench", "generate", gguf, "--lisa", ckpt.path, "--io", "8:4", "--nf", "--memory-budget", "\(need)",
            "--json",
        ])
        #expect(r3.status == 0, "\(r3.stderr)")
        let rows3 =
            (try JSONSerialization.jsonObject(with: Data(r3.stdout.utf8)) as! [String: Any])["results"]
            as! [[String: Any]]
        #expect(rows3.count == planned.count)
        for (row, p) in zip(rows3, planned) {
            #expect(row["batch"] as! Int == (p == need ? 2 : max(2, row["batch"] as! Int)))
        }
        #expect(rows3.allSatisfy { $0["batch"] as! Int >= 2 })
        let tooSmall = try LisaBinary.run(["bench", "generate", gguf, "--io", "8:4", "--memory-budget", "1000"])
        #expect(tooSmall.status != 0 && tooSmall.stderr.contains("not even one baseline sequence"))
    }
}
