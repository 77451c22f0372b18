import Basics
import ArgumentParser
import Foundation
import Models

struct PerplexityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "perplexity",
        abstract: "Perplexity of a text file, chunked like llama.cpp's llama-perplexity.",
        discussion:
            "Example: lisa perplexity models/gemma-3-270m-q4_k_m.gguf --file ../shared/data/wikitext2/test.txt -c 512")
    @OptionGroup var modelOptions: ModelOptions
    @Option(help: "Text file (one trailing newline is stripped, as llama-perplexity does).") var file: String
    @Option(name: .short, help: "Context (chunk) length.") var c = 512
    @Flag(help: "Print JSON.") var json = false

    func validate() throws { guard c >= 4 else { throw ValidationError("-c must be at least 4, got \(c).") } }

    func run() throws {
        let m = try modelOptions.load()
        var text = try readTextFile(file)
        if text.hasSuffix("\n") { text.removeLast() }
        let ids = m.encode(text, parseSpecial: false)
        guard ids.count >= 2 * c else {
            throw CLIError("\(file): \(ids.count) tokens are fewer than two chunks of \(c) (-c).")
        }
        let progress = ProgressReporter(total: ids.count / c, label: "perplexity")
        let start = Date()
        let r = try m.transformer.perplexity(
            tokens: ids, context: c, bos: m.tokenizer.addBOSByDefault ? m.tokenizer.bosID : nil,
            progress: { done, _ in progress.update(done) })
        progress.finish()
        let secs = Date().timeIntervalSince(start)
        if json {
            print(
                try jsonLine([
                    "perplexity": r.perplexity, "plus_minus": r.plusMinus, "chunks": r.chunks,
                    "scored_tokens": r.scoredTokens, "context": c, "tokens": ids.count, "seconds": secs,
                ]))
        } else {
            print(
                String(
                    format: "PPL = %.4f +/- %.5f  (%d chunks of %d, %d scored tokens, %.1f s)",
                    r.perplexity, r.plusMinus, r.chunks, c, r.scoredTokens, secs))
        }
    }
}
