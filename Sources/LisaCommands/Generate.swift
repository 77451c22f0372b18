import ArgumentParser
import Foundation
import Models

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Generate text from a prompt (greedy or temperature/top-p sampling).")
    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var promptOptions: PromptOptions
    @Option(name: .short, help: "Tokens to generate.") var n = 32
    @Flag(help: "Greedy decoding (argmax).") var greedy = false
    @Option(help: "Sampling temperature (0 = greedy).") var temperature: Float = 0.8
    @Option(help: "Nucleus sampling mass.") var topP: Float = 0.95
    @Option(help: "Sampling seed.") var seed: UInt64 = 42
    @Option(help: "Stop when this string appears (repeatable).") var stop: [String] = []
    @Flag(help: "Keep going past end-of-generation tokens.") var ignoreEos = false
    @Flag(help: "Print JSON {prompt_ids, ids, text}.") var json = false

    func validate() throws {
        guard n >= 1, n <= 1_000_000 else { throw ValidationError("-n must be at least 1, got \(n).") }
        guard temperature >= 0 else { throw ValidationError("--temperature must be ≥ 0.") }
        guard topP > 0, topP <= 1 else { throw ValidationError("--top-p must be in (0, 1].") }
    }

    func run() throws {
        let m = try modelOptions.load()
        let ids = try promptOptions.ids(m)
        let sampler = greedy || temperature == 0 ? Sampler.greedy() : Sampler(temperature: temperature, topP: topP, seed: seed)
        let r = try m.transformer.generate(promptIDs: ids, tokenizer: m.tokenizer,
                                           options: GenerationOptions(maxTokens: n, sampler: sampler, stopStrings: stop, stopAtEOS: !ignoreEos))
        if json {
            print(try jsonLine(["prompt_ids": r.promptIDs, "ids": r.ids, "text": r.text]))
        } else {
            print((try promptOptions.text()) + r.text)
        }
    }
}
