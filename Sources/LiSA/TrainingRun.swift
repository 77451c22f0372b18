import Basics
import Datasets
import Foundation
import Models

/// Everything a `lisa train` run needs, already parsed: the library entry point `LiSATraining.run` takes it.
public struct TrainingRunConfig: Sendable {
    public enum Method: String, CaseIterable, Sendable { case lisa, dsLoRA = "ds-lora" }
    public enum Phase: String, CaseIterable, Sendable { case local, joint, both }
    public var model: String
    /// A sharing config JSON, or (when nil) `layers`: LiSA layers each sharing from n − 1.
    public var sharingConfig: String?
    public var layers: [Int] = []
    public var tokens: Int
    public var out: URL
    public var method: Method = .lisa
    /// The paper's recipe (§5.1, Appendix C.1): joint from the first step; `local` and `both` keep the local KD phase.
    public var phase: Phase = .joint
    /// With phase `both`: the fraction of the steps run as the joint phase (the last ones).
    public var jointShare = 0.25
    public var beta: Float = 0.25
    /// 640: longer than Gemma's 512-token sliding window, so the window is exercised.
    public var seqLen = 640, batch = 4
    public var lr: Float = 3e-4
    /// Warm-up steps (nil: the paper's share, 1,500 of 40,000 steps = 3.75 %, at least 1).
    public var warmup: Int?
    /// The CLI's one default seed (`--seed`).
    public var seed: UInt64 = 1234
    public var ffn: AlignFFNKind = .dl
    public var rank: Int?, loraRank: Int?
    public var useRoPE = true, alignOnly = false
    /// A checkpoint every K steps (0: only at the end).
    public var checkpointEvery = 0
    /// Continue from the checkpoint at `out` (from step 0 when none was written yet).
    public var resume = false
    public var corpora: [URL]
    /// Folder of the tokenized-corpus cache; nil: tokenize again, no cache.
    public var tokenCache: URL?
    public var threads = 2
    public var weights: WeightFormat = .quantized
    /// Diagnostic (trainer comparisons, python/lisa_torch): write the next step's losses, gradients, parameters and
    /// batch (with `resume` also the checkpoint's runtime logits) to this file and stop without updating.
    public var dumpStep: URL?

    public init(model: String, tokens: Int, out: URL, corpora: [URL]) {
        self.model = model; self.tokens = tokens; self.out = out; self.corpora = corpora
    }

    public var steps: Int { (tokens + batch * seqLen - 1) / (batch * seqLen) }

    /// The steps of the local KD phase (the first ones); the rest are joint.
    public var localSteps: Int {
        switch phase {
        case .local: return steps
        case .joint: return 0
        case .both: return steps - Int((Double(steps) * jointShare).rounded())
        }
    }

    /// The paper's warm-up share (Appendix C.1: 1,500 of 40,000 steps) of a run of `steps` steps, at least 1.
    public static func defaultWarmup(steps: Int) -> Int { max(1, Int((Double(steps) * 1500 / 40000).rounded())) }

    /// The default cache folder: $LISA_CACHE/tokens, else ~/.cache/lisa/tokens.
    public static func defaultTokenCache(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        environment["LISA_CACHE"].map { URL(fileURLWithPath: $0).appendingPathComponent("tokens") }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/lisa/tokens")
    }

    /// A corpus path as given when it exists (or is absolute), else inside the data folder.
    public static func corpus(_ path: String, data: DataDirectory) -> URL {
        FileManager.default.fileExists(atPath: path) || path.hasPrefix("/")
            ? URL(fileURLWithPath: path)
            : data.url.appendingPathComponent(path)
    }
}

/// A `lisa train` run as a library call: LiSA's two phases (local KD on the teacher's inputs, then the joint
/// β·L_KD + (1−β)·L_LM through the network) or the DS_LoRA baseline, with checkpoints and exact resume.
public enum LiSATraining {
    /// Runs `c` to its last step, writing `c.out` (and every `checkpointEvery` steps); `log` gets the plan and
    /// one line per step (losses, learning rate, tokens/s, ETA).
    public static func run(_ c: TrainingRunConfig, log: (String) -> Void) throws {
        // exact products: the teacher's scores, the forward and its backward use the same weights as Float32
        let m = try LoadedModel(path: c.model, threads: c.threads, weights: c.weights, exact: true)
        if c.method == .lisa, c.ffn == .dl || c.ffn == .dlSilu, LiSATrainOptions().hidden < 2 * m.config.nHeads {
            throw CheckpointError.config(
                "--ffn \(c.ffn.rawValue) needs a hidden size of at least 2 × \(m.config.nHeads) heads "
                    + "(it is \(LiSATrainOptions().hidden)); use --ffn sl or --ffn plus for this model.")
        }
        let sha = try SHA256.hex(ofFile: c.model)
        let sharing: SharingConfig
        if let path = c.sharingConfig {
            sharing = try SharingConfig.load(path: path, modelPath: c.model)
        } else {
            sharing = SharingConfig(
                lisaLayers: c.layers, nLayers: m.config.nLayers, modelSHA256: sha, arch: m.config.arch.rawValue)
            try sharing.validate(path: "--layers")
        }
        try sharing.validateForTraining(config: m.config, seqLen: c.seqLen)
        let steps = c.steps, localSteps = c.localSteps
        var o = LiSATrainOptions()
        o.ffn = c.ffn; o.rank = c.rank; o.useRoPE = c.useRoPE; o.seed = c.seed; o.alignOnly = c.alignOnly ? true : nil
        o.optimizer.lr = c.lr; o.optimizer.totalSteps = steps;
        o.optimizer.warmupSteps = c.warmup ?? TrainingRunConfig.defaultWarmup(steps: steps)
        let lisa = LocalKDTrainer(model: m.transformer, sharing: sharing, options: o)
        let lisaParams = lisa.tensorNames.reduce(0) { $0 + $1.buffer.count }, lisaTrained = lisa.trainableParameterCount
        let windows = try TrainingWindows(
            corpora: c.corpora, tokenizer: m.tokenizer, seqLen: c.seqLen, count: steps * c.batch,
            cache: c.tokenCache.map { ($0, sha) })
        let names = c.corpora.map(\.path).joined(separator: " + ")
        guard !windows.windows.isEmpty else {
            throw CheckpointError.config("\(names) holds fewer than \(c.seqLen) tokens.")
        }
        log(
            "corpus \(names): \(windows.documentsTokenized) documents tokenized"
                + (c.tokenCache.map { ", \(windows.documentsFromCache) read from the cache in \($0.path)" }
                    ?? " (cache off)"))
        // --resume before the first checkpoint was written (a run killed early) starts from step 0: scripts can always
        // pass it.
        let resume = c.resume && FileManager.default.fileExists(atPath: c.out.path)
        if c.resume && !resume { log("no checkpoint at \(c.out.path) yet: starting from step 0") }
        let base = Double(max(1, m.transformer.weights.parameterCount))

        // One step function and one optimizer per run; the step index decides the phase, so --resume continues exactly.
        let stepFn: (Int) throws -> LossParts
        let optimizer: AdamW
        let save: () throws -> Void
        switch c.method {
        case .dsLoRA:
            let r =
                c.loraRank
                ?? DSLoRATrainer.matchedRank(lisaParameters: lisaParams, layers: sharing.shared.count, config: m.config)
            let t = DSLoRATrainer(model: m.transformer, sharing: sharing, options: o, rank: r)
            log(
                "DS_LoRA: rank \(r) on W^V, W^O, FFN of layers \(sharing.shared.map(\.index)): \(t.parameterCount) "
                    + "trainable parameters "
                    + String(
                        format: "(%.3f%% of the base model); LiSA with these options would train %d (%.3f%%)",
                        100 * Double(t.parameterCount) / base, lisaParams, 100 * Double(lisaParams) / base))
            if resume {
                try t.load(from: c.out, modelSHA: sha); log("resumed from \(c.out.path) at step \(t.optimizer.step)")
            }
            stepFn = { s in try t.step(batch: windows.batch(step: s, size: c.batch)) }
            optimizer = t.optimizer; save = { try t.save(to: c.out, modelSHA: sha) }
        case .lisa:
            lisa.extraMetadata = [
                "phase": c.phase.rawValue, "local_steps": String(localSteps), "joint_steps": String(steps - localSteps),
                "beta": String(c.beta), "seq_len": String(c.seqLen), "batch": String(c.batch),
            ]
            if resume {
                try lisa.load(from: c.out, modelSHA: sha);
                log("resumed from \(c.out.path) at step \(lisa.optimizer.step)")
            }
            log(
                "LiSA: layers \(sharing.lisaLayers.map(\.index)), r = \(lisa.layers[0].rank), FFN \(c.ffn.rawValue), "
                    + "RoPE \(c.useRoPE)"
                    + (c.alignOnly ? " (align only: W^LR frozen, A_Δ = 0)" : "") + "; "
                    + String(
                        format: "%d trainable parameters (%.3f%% of the base model); ", lisaTrained,
                        100 * Double(lisaTrained) / base)
                    + "\(localSteps) local + \(steps - localSteps) joint steps (β = \(c.beta))")
            stepFn = { s in
                let b = windows.batch(step: s, size: c.batch)
                if s < localSteps { let kd = try lisa.step(batch: b); return LossParts(total: kd, kd: kd, lm: .nan) }
                return try lisa.jointStep(batch: b, beta: c.beta)
            }
            optimizer = lisa.optimizer; save = { try lisa.save(to: c.out, modelSHA: sha) }
        }
        if let dump = c.dumpStep {
            guard c.method == .lisa else { throw CheckpointError.config("--dump-step works with --method lisa only.") }
            let s = lisa.optimizer.step, b = windows.batch(step: s, size: c.batch)
            let logits =
                resume
                ? try LiSARuntime.logits(checkpoint: c.out, model: m.transformer, modelSHA: sha, tokens: b[0]) : nil
            try lisa.dumpStep(batch: b, joint: s >= localSteps, beta: c.beta, runtimeLogits: logits, to: dump)
            log("wrote \(dump.path): step \(s) (\(s >= localSteps ? "joint" : "local")), no update")
            return
        }
        log(
            "\(steps) steps × \(c.batch) × \(c.seqLen) tokens, lr \(c.lr), warm-up \(o.optimizer.warmupSteps); "
                + "\(windows.windows.count) windows"
        )
        let start = Date(), first = optimizer.step
        while optimizer.step < steps {
            let s = optimizer.step
            let loss = try stepFn(s)
            let done = s + 1 - first, el = Date().timeIntervalSince(start)
            let tps = Double(done * c.batch * c.seqLen) / el
            let parts =
                loss.lm.isNaN
                ? String(format: "L_KD %.5f", loss.kd)
                : String(format: "L %.5f  L_KD %.5f  L_LM %.5f", loss.total, loss.kd, loss.lm)
            log(
                String(
                    format: "step %d/%d %@  %@  lr %.2e  %.0f tok/s  ETA %.0f s", s + 1, steps,
                    c.method == .dsLoRA ? "ds-lora" : (s < localSteps ? "local" : "joint"), parts,
                    optimizer.learningRate(at: s), tps, el / Double(done) * Double(steps - s - 1)))
            if c.checkpointEvery > 0, (s + 1) % c.checkpointEvery == 0, s + 1 < steps { try save() }
        }
        try save()
        // the finished checkpoint's header file: what reports keep of it where the weights are not kept
        let header = try CheckpointHeader(checkpoint: c.out).write(besides: c.out)
        log("wrote \(c.out.path) and its header \(header.lastPathComponent)")
    }
}
