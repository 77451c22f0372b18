import ArgumentParser
import Foundation
import GGUF
import LiSA
import Models

/// `lisa train`: the local KD phase of LiSA (each LiSA layer fed the original model's H and A_{n−1}).
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "train",
        abstract: "Train LiSA layers (low-rank Q/K + alignment FFN) by local attention distillation (eqs 3–5, 8).")
    @Option(help: "GGUF model.") var model: String
    @Option(help: "Sharing config JSON: {\"layers\":[{\"index\":n,\"mode\":\"lisa\",\"source\":n-1}]}.") var config: String?
    @Option(help: "Fallback when no --config: LiSA layers, comma-separated (each shares from n−1).") var layers: String?
    @Option(help: "Training tokens (steps = ceil(tokens / (batch · seq-len))).") var tokens: Int
    @Option(help: "Output checkpoint (safetensors).") var out: String
    @Option(help: "Sequence length.") var seqLen = 128
    @Option(help: "Sequences per step.") var batch = 4
    @Option(help: "Peak learning rate.") var lr: Float = 3e-4
    @Option(help: "Warm-up steps (default: 10% of the steps).") var warmup: Int?
    @Option(help: "Seed of the initialisation.") var seed: UInt64 = 0
    @Option(help: "Alignment FFN: dl, dl-silu, sl, plus.") var ffn = "dl"
    @Option(help: "Low-rank r per head (default round(d_k/6.4)).") var rank: Int?
    @Flag(help: "No RoPE on the low-rank Q/K.") var noRope = false
    @Option(help: "Write a checkpoint every K steps (0: only at the end).") var checkpointEvery = 0
    @Flag(help: "Continue from the checkpoint at --out.") var resume = false
    @Option(help: "Training corpus (JSONL with a \"text\" field).") var corpus = "../shared/data/text_corpus/train.jsonl"
    @Option(help: "BLAS threads.") var threads = 2

    func validate() throws {
        guard config != nil || layers != nil else { throw ValidationError("Give --config or --layers.") }
        guard tokens > 0, seqLen >= 2, batch >= 1 else { throw ValidationError("--tokens, --seq-len ≥ 2 and --batch must be positive.") }
        guard AlignFFNKind(rawValue: ffn) != nil else { throw ValidationError("--ffn must be one of dl, dl-silu, sl, plus; got \(ffn).") }
    }

    func run() throws {
        let m = try LoadedModel(path: model, threads: threads)
        let sha = try SHA256.hex(ofFile: model)
        let sharing: SharingConfig
        if let config { sharing = try SharingConfig.load(path: config, modelPath: model) } else {
            let list = layers!.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            sharing = SharingConfig(lisaLayers: list, nLayers: m.config.nLayers, modelSHA256: sha, arch: m.config.arch.rawValue)
            try sharing.validate(path: "--layers")
        }
        try sharing.validateForTraining(config: m.config, seqLen: seqLen)
        let steps = (tokens + batch * seqLen - 1) / (batch * seqLen)
        var o = LiSATrainOptions()
        o.ffn = AlignFFNKind(rawValue: ffn)!; o.rank = rank; o.useRoPE = !noRope; o.seed = seed
        o.optimizer.lr = lr; o.optimizer.totalSteps = steps; o.optimizer.warmupSteps = warmup ?? max(1, steps / 10)
        let trainer = LocalKDTrainer(model: m.transformer, sharing: sharing, options: o)
        let outURL = URL(fileURLWithPath: out)
        if resume {
            try trainer.load(from: outURL, modelSHA: sha)
            log("resumed from \(out) at step \(trainer.optimizer.step)")
        }
        let data = try TrainingWindows(corpus: URL(fileURLWithPath: corpus), tokenizer: m.tokenizer, seqLen: seqLen, count: steps * batch)
        guard !data.windows.isEmpty else { throw CLIError("\(corpus) holds fewer than \(seqLen) tokens.") }
        log("LiSA local KD: layers \(sharing.layers.map(\.index)), r = \(trainer.layers[0].rank), FFN \(ffn), RoPE \(!noRope); "
            + "\(steps) steps × \(batch) × \(seqLen) tokens, lr \(lr), warm-up \(o.optimizer.warmupSteps); \(data.windows.count) windows")
        let start = Date(), first = trainer.optimizer.step
        while trainer.optimizer.step < steps {
            let s = trainer.optimizer.step
            let loss = try trainer.step(batch: data.batch(step: s, size: batch))
            let done = s + 1 - first, el = Date().timeIntervalSince(start)
            let tps = Double(done * batch * seqLen) / el
            log(String(format: "step %d/%d  L_KD %.5f  lr %.2e  %.0f tok/s  ETA %.0f s", s + 1, steps, loss,
                       trainer.optimizer.learningRate(at: s), tps, el / Double(done) * Double(steps - s - 1)))
            if checkpointEvery > 0, (s + 1) % checkpointEvery == 0, s + 1 < steps { try trainer.save(to: outURL, modelSHA: sha) }
        }
        try trainer.save(to: outURL, modelSHA: sha)
        log("wrote \(out)")
    }

    func log(_ s: String) { FileHandle.standardError.write((s + "\n").data(using: .utf8)!) }
}
