import ArgumentParser
import Datasets
import Foundation
import LiSA
import Models

/// `lisa train`: LiSA's two phases (local KD, then joint β·L_KD + (1−β)·L_LM through the network), or the
/// DS_LoRA baseline (LM loss, LoRA on the shared layers' W^V, W^O and FFN, parameter count matched to LiSA's).
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train LiSA layers (eqs 3–8: local KD phase, joint phase) or the DS_LoRA baseline.",
        discussion:
            "Example: lisa train models/gemma-3-270m-q4_k_m.gguf --layers 7,8,9 --tokens 40960 --out lisa.safetensors")
    @OptionGroup var modelArgument: ModelArgument
    @Option(help: "Sharing config JSON: {\"layers\":[{\"index\":n,\"mode\":\"lisa\",\"source\":n-1}]}.") var config:
        String?
    @Option(help: "Fallback when no --config: LiSA layers, comma-separated (each shares from n−1).") var layers: String?
    @Option(help: "Training tokens of the whole run (steps = ceil(tokens / (batch · seq-len))).") var tokens: Int
    @Option(help: "Output checkpoint (safetensors).") var out: String
    @Option(help: "lisa (default) or ds-lora (the DS_LoRA baseline).") var method: TrainingRunConfig.Method = .lisa
    @Option(
        help:
            ArgumentHelp(
                "joint (the paper's recipe, §5.1: β·L_KD + (1−β)·L_LM through the network from the first step), local "
                    + "(KD only, teacher inputs) or both (local, then joint).")
    )
    var phase: TrainingRunConfig.Phase = .joint
    @Option(help: "With --phase both: the fraction of the steps run as the joint phase (the last ones).")
    var jointShare = 0.25
    @Option(help: "β of L = β·L_KD + (1−β)·L_LM in the joint phase.") var beta: Float = 0.25
    @Option(
        help:
            ArgumentHelp(
                "Sequence length (default 640: longer than Gemma's 512-token sliding window, so the window and the "
                    + "low-rank branch beyond it are trained).")
    ) var seqLen = 640
    @Option(help: "Sequences per step.") var batch = 4
    @Option(help: "Peak learning rate.") var lr: Float = 3e-4
    @Option(help: "Warm-up steps (default: 3.75% of the steps, the paper's 1,500 of 40,000, at least 1).") var warmup:
        Int?
    @OptionGroup var seedOption: SeedOption
    @Option(help: "Alignment FFN: dl, dl-silu, sl, plus.") var ffn: AlignFFNKind = .dl
    @Option(help: "Low-rank r per head (default round(d_k/6.4)).") var rank: Int?
    @Option(help: "DS_LoRA rank (default: matched to LiSA's trainable parameter count).") var loraRank: Int?
    @Flag(help: "No RoPE on the low-rank Q/K.") var noRope = false
    @Flag(
        help:
            ArgumentHelp(
                "Table 7 ablation \"align only\": freeze the low-rank difference at zero (A_Δ = 0), train only the "
                    + "alignment FFN. (\"Difference only\" is --ffn plus.)")
    )
    var alignOnly = false
    @Option(help: "Write a checkpoint every K steps (0: only at the end).") var checkpointEvery = 0
    @OptionGroup var resumeFlag: ResumeFlag
    @Option(
        help:
            ArgumentHelp(
                "Training corpus: JSONL with a \"text\" field, or a .txt file (each non-blank line a document); repeat "
                    + "to concatenate corpora in order, e.g. --corpus text_corpus/train.jsonl --corpus "
                    + "wikitext2/valid.txt. A path that does not exist as given is read from --data.")
    )
    var corpus: [String] = ["text_corpus/train.jsonl"]
    @OptionGroup var dataOption: DataOption
    @Option(help: "Folder of the tokenized-corpus cache (default: $LISA_CACHE/tokens, else ~/.cache/lisa/tokens).")
    var tokenCache: String?
    @Flag(help: "Tokenize the corpus again instead of reading or writing the cache.") var noTokenCache = false
    @OptionGroup var threadsOption: ThreadsOption
    @Option(
        help:
            ArgumentHelp(
                "The frozen base's matrices: quantized (in their GGUF blocks, products exact through dequantized "
                    + "tiles) "
                    + "or f32.")
    )
    var weights: WeightFormat = .quantized
    @Option(
        help: ArgumentHelp(
            "Diagnostic (trainer comparisons): write this step's losses, gradients, parameters and"
                + " batch (with --resume also the checkpoint's runtime logits) to FILE and stop without updating.",
            visibility: .hidden))
    var dumpStep: String?

    func validate() throws {
        guard config != nil || layers != nil else { throw ValidationError("Give --config or --layers.") }
        guard tokens > 0, seqLen >= 2, batch >= 1 else {
            throw ValidationError("--tokens, --seq-len ≥ 2 and --batch must be positive.")
        }
        guard !alignOnly || (method == .lisa && ffn != .plus) else {
            throw ValidationError("--align-only needs --method lisa and an alignment FFN (not --ffn plus).")
        }
        guard (0...1).contains(jointShare), (0...1).contains(beta) else {
            throw ValidationError("--joint-share and --beta must lie in [0, 1].")
        }
        if let rank, rank < 1 || (!noRope && rank % 2 != 0) {
            throw ValidationError(
                "--rank must be a positive\(noRope ? "" : " even") number (RoPE rotates pairs; --no-rope allows "
                    + "odd), got \(rank)."
            )
        }
        if let loraRank, loraRank < 1 { throw ValidationError("--lora-rank must be at least 1, got \(loraRank).") }
        guard lr.isFinite, lr > 0 else { throw ValidationError("--lr must be a finite number above 0, got \(lr).") }
        if let warmup, warmup < 0 { throw ValidationError("--warmup must be 0 or more, got \(warmup).") }
        guard checkpointEvery >= 0 else {
            throw ValidationError("--checkpoint-every must be 0 or more, got \(checkpointEvery).")
        }
        if let layers { _ = try Self.layerList(layers) }
    }

    /// "3,5,7" → [3, 5, 7]; anything that is not a 0-based layer index is an error, never dropped.
    static func layerList(_ text: String) throws -> [Int] {
        try commaIntegers(text, option: "--layers", expected: "a 0-based layer index")
    }

    func run() throws {
        let data = DataDirectory(path: dataOption.data)
        var c = TrainingRunConfig(
            model: modelArgument.model, tokens: tokens, out: URL(fileURLWithPath: out),
            corpora: corpus.map { TrainingRunConfig.corpus($0, data: data) })
        c.sharingConfig = config
        c.layers = try layers.map(Self.layerList) ?? []
        c.method = method; c.phase = phase
        c.jointShare = jointShare; c.beta = beta; c.seqLen = seqLen; c.batch = batch; c.lr = lr; c.warmup = warmup
        c.seed = seedOption.seed; c.ffn = ffn; c.rank = rank; c.loraRank = loraRank; c.useRoPE = !noRope
        c.alignOnly = alignOnly; c.checkpointEvery = checkpointEvery; c.resume = resumeFlag.resume;
        c.threads = threadsOption.threads; c.weights = weights
        c.tokenCache =
            noTokenCache ? nil : tokenCache.map { URL(fileURLWithPath: $0) } ?? TrainingRunConfig.defaultTokenCache()
        c.dumpStep = dumpStep.map { URL(fileURLWithPath: $0) }
        try LiSATraining.run(c) { FileHandle.standardError.write(($0 + "\n").data(using: .utf8)!) }
    }
}

extension TrainingRunConfig.Method: ExpressibleByArgument {}
extension TrainingRunConfig.Phase: ExpressibleByArgument {}
extension AlignFFNKind: ExpressibleByArgument {}
