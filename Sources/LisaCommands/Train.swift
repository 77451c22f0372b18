import ArgumentParser
import Datasets
import Foundation
import GGUF
import LiSA
import Models

/// `lisa train`: LiSA's two phases (local KD, then joint β·L_KD + (1−β)·L_LM through the network), or the
/// DS_LoRA baseline (LM loss, LoRA on the shared layers' W^V, W^O and FFN, parameter count matched to LiSA's).
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "train",
        abstract: "Train LiSA layers (eqs 3–8: local KD phase, joint phase) or the DS_LoRA baseline.")
    @Option(help: "GGUF model.") var model: String
    @Option(help: "Sharing config JSON: {\"layers\":[{\"index\":n,\"mode\":\"lisa\",\"source\":n-1}]}.") var config: String?
    @Option(help: "Fallback when no --config: LiSA layers, comma-separated (each shares from n−1).") var layers: String?
    @Option(help: "Training tokens of the whole run (steps = ceil(tokens / (batch · seq-len))).") var tokens: Int
    @Option(help: "Output checkpoint (safetensors).") var out: String
    @Option(help: "lisa (default) or ds-lora (the DS_LoRA baseline).") var method = "lisa"
    @Option(help: "local (KD only, teacher inputs), joint (β·L_KD + (1−β)·L_LM through the network) or both (default: local, then joint).")
    var phase = "both"
    @Option(help: "With --phase both: the fraction of the steps run as the joint phase (the last ones).") var jointShare = 0.25
    @Option(help: "β of L = β·L_KD + (1−β)·L_LM in the joint phase.") var beta: Float = 0.25
    @Option(help: "Sequence length.") var seqLen = 128
    @Option(help: "Sequences per step.") var batch = 4
    @Option(help: "Peak learning rate.") var lr: Float = 3e-4
    @Option(help: "Warm-up steps (default: 10% of the steps).") var warmup: Int?
    @Option(help: "Seed of the initialisation.") var seed: UInt64 = 0
    @Option(help: "Alignment FFN: dl, dl-silu, sl, plus.") var ffn = "dl"
    @Option(help: "Low-rank r per head (default round(d_k/6.4)).") var rank: Int?
    @Option(help: "DS_LoRA rank (default: matched to LiSA's trainable parameter count).") var loraRank: Int?
    @Flag(help: "No RoPE on the low-rank Q/K.") var noRope = false
    @Flag(help: "Table 7 ablation \"align only\": freeze the low-rank difference at zero (A_Δ = 0), train only the alignment FFN. (\"Difference only\" is --ffn plus.)")
    var alignOnly = false
    @Option(help: "Write a checkpoint every K steps (0: only at the end).") var checkpointEvery = 0
    @Flag(help: "Continue from the checkpoint at --out.") var resume = false
    @Option(help: "Training corpus: JSONL with a \"text\" field, or a .txt file (each non-blank line a document); repeat to concatenate corpora in order, e.g. --corpus text_corpus/train.jsonl --corpus wikitext2/valid.txt. A path that does not exist as given is read from --data.")
    var corpus: [String] = ["text_corpus/train.jsonl"]
    @Option(help: "Data folder for relative --corpus paths (default: $LISA_DATA, else ../shared/data).") var data: String?
    @Option(help: "Folder of the tokenized-corpus cache (default: $LISA_CACHE/tokens, else ~/.cache/lisa/tokens).") var tokenCache: String?
    @Flag(help: "Tokenize the corpus again instead of reading or writing the cache.") var noTokenCache = false
    @Option(help: "BLAS threads.") var threads = 2
    @Option(help: "The frozen base's matrices: quantized (in their GGUF blocks, products exact through dequantized tiles) or f32.")
    var weights: WeightFormat = .quantized
    @Option(help: ArgumentHelp("Diagnostic (trainer comparisons): write this step's losses, gradients, parameters and"
        + " batch (with --resume also the checkpoint's runtime logits) to FILE and stop without updating.",
        visibility: .hidden))
    var dumpStep: String?

    func validate() throws {
        try validateThreads(threads)
        guard config != nil || layers != nil else { throw ValidationError("Give --config or --layers.") }
        guard tokens > 0, seqLen >= 2, batch >= 1 else { throw ValidationError("--tokens, --seq-len ≥ 2 and --batch must be positive.") }
        guard AlignFFNKind(rawValue: ffn) != nil else { throw ValidationError("--ffn must be one of dl, dl-silu, sl, plus; got \(ffn).") }
        guard ["lisa", "ds-lora"].contains(method) else { throw ValidationError("--method must be lisa or ds-lora; got \(method).") }
        guard !alignOnly || (method == "lisa" && ffn != "plus") else { throw ValidationError("--align-only needs --method lisa and an alignment FFN (not --ffn plus).") }
        guard ["local", "joint", "both"].contains(phase) else { throw ValidationError("--phase must be local, joint or both; got \(phase).") }
        guard (0...1).contains(jointShare), (0...1).contains(beta) else { throw ValidationError("--joint-share and --beta must lie in [0, 1].") }
        if let rank, rank < 1 || (!noRope && rank % 2 != 0) {
            throw ValidationError("--rank must be a positive\(noRope ? "" : " even") number (RoPE rotates pairs; --no-rope allows odd), got \(rank).")
        }
        if let loraRank, loraRank < 1 { throw ValidationError("--lora-rank must be at least 1, got \(loraRank).") }
        guard lr.isFinite, lr > 0 else { throw ValidationError("--lr must be a finite number above 0, got \(lr).") }
        if let warmup, warmup < 0 { throw ValidationError("--warmup must be 0 or more, got \(warmup).") }
        guard checkpointEvery >= 0 else { throw ValidationError("--checkpoint-every must be 0 or more, got \(checkpointEvery).") }
        if let layers { _ = try Self.layerList(layers) }
    }

    /// "3,5,7" → [3, 5, 7]; anything that is not a 0-based layer index is an error, never dropped.
    static func layerList(_ text: String) throws -> [Int] {
        try text.split(separator: ",", omittingEmptySubsequences: false).map { part in
            let t = part.trimmingCharacters(in: .whitespaces)
            guard let i = Int(t), i >= 0 else { throw ValidationError("--layers: \"\(t)\" is not a 0-based layer index (e.g. --layers 3,5,7).") }
            return i
        }
    }

    func run() throws {
        // exact products: the teacher's scores, the forward and its backward use the same weights as Float32
        let m = try LoadedModel(path: model, threads: threads, weights: weights, exact: true)
        if method == "lisa", ffn == "dl" || ffn == "dl-silu", LiSATrainOptions().hidden < 2 * m.config.nHeads {
            throw CLIError("--ffn \(ffn) needs a hidden size of at least 2 × \(m.config.nHeads) heads (it is \(LiSATrainOptions().hidden)); "
                + "use --ffn sl or --ffn plus for this model.")
        }
        let sha = try SHA256.hex(ofFile: model)
        let sharing: SharingConfig
        if let config { sharing = try SharingConfig.load(path: config, modelPath: model) } else {
            let list = try Self.layerList(layers!)
            sharing = SharingConfig(lisaLayers: list, nLayers: m.config.nLayers, modelSHA256: sha, arch: m.config.arch.rawValue)
            try sharing.validate(path: "--layers")
        }
        try sharing.validateForTraining(config: m.config, seqLen: seqLen)
        let steps = (tokens + batch * seqLen - 1) / (batch * seqLen)
        var o = LiSATrainOptions()
        o.ffn = AlignFFNKind(rawValue: ffn)!; o.rank = rank; o.useRoPE = !noRope; o.seed = seed; o.alignOnly = alignOnly ? true : nil
        o.optimizer.lr = lr; o.optimizer.totalSteps = steps; o.optimizer.warmupSteps = warmup ?? max(1, steps / 10)
        let lisa = LocalKDTrainer(model: m.transformer, sharing: sharing, options: o)
        let lisaParams = lisa.tensorNames.reduce(0) { $0 + $1.buffer.count }, lisaTrained = lisa.trainableParameterCount
        let dataDir = DataDirectory(path: self.data).url
        let corpora = corpus.map { c in
            FileManager.default.fileExists(atPath: c) || c.hasPrefix("/") ? URL(fileURLWithPath: c) : dataDir.appendingPathComponent(c)
        }
        let env = ProcessInfo.processInfo.environment
        let cacheDir = tokenCache.map { URL(fileURLWithPath: $0) }
            ?? env["LISA_CACHE"].map { URL(fileURLWithPath: $0).appendingPathComponent("tokens") }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/lisa/tokens")
        let windows = try TrainingWindows(corpora: corpora, tokenizer: m.tokenizer, seqLen: seqLen, count: steps * batch,
                                       cache: noTokenCache ? nil : (cacheDir, sha))
        let names = corpora.map(\.path).joined(separator: " + ")
        guard !windows.windows.isEmpty else { throw CLIError("\(names) holds fewer than \(seqLen) tokens.") }
        log("corpus \(names): \(windows.documentsTokenized) documents tokenized"
            + (noTokenCache ? " (cache off)" : ", \(windows.documentsFromCache) read from the cache in \(cacheDir.path)"))
        let outURL = URL(fileURLWithPath: out)
        // --resume before the first checkpoint was written (a run killed early) starts from step 0: scripts can always pass it.
        let resume = self.resume && FileManager.default.fileExists(atPath: out)
        if self.resume && !resume { log("no checkpoint at \(out) yet: starting from step 0") }
        let base = Double(m.config.nLayers > 0 ? totalParameters(m.transformer) : 1)

        // One step function and one optimizer per run; the step index decides the phase, so --resume continues exactly.
        let localSteps = phase == "local" ? steps : phase == "joint" ? 0 : steps - Int((Double(steps) * jointShare).rounded())
        let stepFn: (Int) throws -> LossParts
        let optimizer: AdamW
        let save: () throws -> Void
        if method == "ds-lora" {
            let r = loraRank ?? DSLoRATrainer.matchedRank(lisaParameters: lisaParams, layers: sharing.shared.count, config: m.config)
            let t = DSLoRATrainer(model: m.transformer, sharing: sharing, options: o, rank: r)
            log("DS_LoRA: rank \(r) on W^V, W^O, FFN of layers \(sharing.shared.map(\.index)): \(t.parameterCount) trainable parameters "
                + String(format: "(%.3f%% of the base model); LiSA with these options would train %d (%.3f%%)",
                         100 * Double(t.parameterCount) / base, lisaParams, 100 * Double(lisaParams) / base))
            if resume { try t.load(from: outURL, modelSHA: sha); log("resumed from \(out) at step \(t.optimizer.step)") }
            stepFn = { s in try t.step(batch: windows.batch(step: s, size: batch)) }
            optimizer = t.optimizer; save = { try t.save(to: outURL, modelSHA: sha) }
        } else {
            lisa.extraMetadata = ["phase": phase, "local_steps": String(localSteps), "joint_steps": String(steps - localSteps),
                                  "beta": String(beta), "seq_len": String(seqLen), "batch": String(batch)]
            if resume { try lisa.load(from: outURL, modelSHA: sha); log("resumed from \(out) at step \(lisa.optimizer.step)") }
            log("LiSA: layers \(sharing.lisaLayers.map(\.index)), r = \(lisa.layers[0].rank), FFN \(ffn), RoPE \(!noRope)"
                + (alignOnly ? " (align only: W^LR frozen, A_Δ = 0)" : "") + "; "
                + String(format: "%d trainable parameters (%.3f%% of the base model); ", lisaTrained, 100 * Double(lisaTrained) / base)
                + "\(localSteps) local + \(steps - localSteps) joint steps (β = \(beta))")
            stepFn = { s in
                let b = windows.batch(step: s, size: batch)
                if s < localSteps { let kd = try lisa.step(batch: b); return LossParts(total: kd, kd: kd, lm: .nan) }
                return try lisa.jointStep(batch: b, beta: beta)
            }
            optimizer = lisa.optimizer; save = { try lisa.save(to: outURL, modelSHA: sha) }
        }
        if let dumpStep {
            guard method == "lisa" else { throw CLIError("--dump-step works with --method lisa only.") }
            let s = lisa.optimizer.step, b = windows.batch(step: s, size: batch)
            let logits = resume
                ? try LiSARuntime.logits(checkpoint: outURL, model: m.transformer, modelSHA: sha, tokens: b[0]) : nil
            try lisa.dumpStep(batch: b, joint: s >= localSteps, beta: beta, runtimeLogits: logits,
                              to: URL(fileURLWithPath: dumpStep))
            log("wrote \(dumpStep): step \(s) (\(s >= localSteps ? "joint" : "local")), no update")
            return
        }
        log("\(steps) steps × \(batch) × \(seqLen) tokens, lr \(lr), warm-up \(o.optimizer.warmupSteps); \(windows.windows.count) windows")
        let start = Date(), first = optimizer.step
        while optimizer.step < steps {
            let s = optimizer.step
            let loss = try stepFn(s)
            let done = s + 1 - first, el = Date().timeIntervalSince(start)
            let tps = Double(done * batch * seqLen) / el
            let parts = loss.lm.isNaN ? String(format: "L_KD %.5f", loss.kd)
                : String(format: "L %.5f  L_KD %.5f  L_LM %.5f", loss.total, loss.kd, loss.lm)
            log(String(format: "step %d/%d %@  %@  lr %.2e  %.0f tok/s  ETA %.0f s", s + 1, steps,
                       method == "ds-lora" ? "ds-lora" : (s < localSteps ? "local" : "joint"), parts,
                       optimizer.learningRate(at: s), tps, el / Double(done) * Double(steps - s - 1)))
            if checkpointEvery > 0, (s + 1) % checkpointEvery == 0, s + 1 < steps { try save() }
        }
        try save()
        log("wrote \(out)")
    }

    func totalParameters(_ t: Transformer) -> Int {
        let w = t.weights
        var n = w.matrices.reduce(0) { $0 + $1.count } + w.outputNorm.count
        for l in w.layers {
            n += [l.attnNorm, l.ffnNorm].reduce(0) { $0 + $1.count }
            n += [l.bq, l.bk, l.bv, l.qNorm, l.kNorm, l.postAttnNorm, l.postFFNNorm].reduce(0) { $0 + ($1?.count ?? 0) }
        }
        return n
    }

    func log(_ s: String) { FileHandle.standardError.write((s + "\n").data(using: .utf8)!) }
}
