import Basics
import ArgumentParser
import Foundation
import LiSA
import Models

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate text from a prompt (greedy or temperature/top-p sampling).",
        discussion:
            "Example: lisa generate models/gemma-3-270m-q4_k_m.gguf --prompt \"The capital of France is\" -n 24 "
            + "--greedy"
    )
    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var promptOptions: PromptOptions
    @Option(name: .short, help: "Tokens to generate.") var n = 32
    @Flag(help: "Greedy decoding (argmax).") var greedy = false
    @Option(help: "Sampling temperature (0 = greedy).") var temperature: Float = 0.8
    @Option(help: "Nucleus sampling mass.") var topP: Float = 0.95
    @OptionGroup var seedOption: SeedOption
    @Option(help: "Stop when this string appears (repeatable).") var stop: [String] = []
    @Flag(help: "Keep going past end-of-generation tokens.") var ignoreEos = false
    @Flag(help: "Print JSON {prompt_ids, ids, text}.") var json = false
    @Option(
        help: "Run the LiSA layers of this local-KD checkpoint (safetensors from `lisa train`) with a low-rank K cache."
    )
    var lisa: String?
    @Flag(
        help:
            ArgumentHelp(
                "NF decoding (§5.2): the prompt runs with standard attention, the LiSA layers from the first generated "
                    + "token on.")
    )
    var nf = false

    func validate() throws {
        guard n >= 1 else { throw ValidationError("-n must be at least 1, got \(n).") }
        guard n <= 1_000_000 else { throw ValidationError("-n must be at most 1000000, got \(n).") }
        guard temperature >= 0 else { throw ValidationError("--temperature must be ≥ 0.") }
        guard topP > 0, topP <= 1 else { throw ValidationError("--top-p must be in (0, 1].") }
        if nf, lisa == nil { throw ValidationError("--nf needs a LiSA checkpoint (--lisa).") }
    }

    func run() throws {
        let m = try modelOptions.load()
        let ids = try promptOptions.ids(m)
        let sampler =
            greedy || temperature == 0
            ? Sampler.greedy() : Sampler(temperature: temperature, topP: topP, seed: seedOption.seed)
        var providers: LayerScoreProviders = [:]
        if let lisa {
            let rt = try LiSARuntime.load(
                checkpoint: URL(fileURLWithPath: lisa), model: m.transformer,
                modelSHA: try SHA256.hex(ofFile: modelOptions.model))
            providers = rt.providers
            let list = rt.layers.map { String($0.layer.index) }.joined(separator: ",")
            FileHandle.standardError.write(
                Data("LiSA layers (0-based): \(list), rank \(rt.layers[0].layer.rank)\n".utf8))
        }
        let r = try m.transformer.generate(
            promptIDs: ids, tokenizer: m.tokenizer,
            options: GenerationOptions(
                maxTokens: n, sampler: sampler, stopStrings: stop, stopAtEOS: !ignoreEos,
                nfPrefill: nf),
            scoreProviders: providers)
        if json {
            print(try jsonLine(["prompt_ids": r.promptIDs, "ids": r.ids, "text": r.text]))
        } else {
            print((try promptOptions.text()) + r.text)
        }
    }
}
