import Basics
import ArgumentParser
import Datasets
import Foundation
import Tokenizers

struct BenchTokenize: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Encode a large English text on one thread and report MB/s and tokens/s.",
        discussion: "Example: lisa bench tokenize models/gemma-3-270m-q4_k_m.gguf")

    @OptionGroup var modelArgument: ModelArgument
    var model: String { modelArgument.model }
    @Option(help: "Text file to encode (default: <data>/wikitext2/test.txt).") var file: String?
    @OptionGroup var dataOption: DataOption
    @Flag(help: "Print one JSON line.") var json = false

    var textPath: String {
        if let file { return file }
        return DataDirectory(path: dataOption.data).url.appendingPathComponent("wikitext2/test.txt").path
    }

    func run() throws {
        let text = try readTextFile(textPath)
        let clock = ContinuousClock()
        var tokenizer: (any Tokenizer)!
        let load = try clock.measure { tokenizer = try TokenizerLoader.load(path: model) }
        var ids: [Int] = []
        let encode = clock.measure { ids = tokenizer.encode(text) }
        let bytes = text.utf8.count
        let r = BenchTokenizeResult(
            model: model, file: textPath, bytes: bytes, tokens: ids.count,
            loadSeconds: load.seconds, encodeSeconds: encode.seconds)
        print(json ? r.json : r.summary)
    }
}

struct BenchTokenizeResult {
    let model: String, file: String
    let bytes: Int, tokens: Int
    let loadSeconds: Double, encodeSeconds: Double
    var megabytesPerSecond: Double { Double(bytes) / 1e6 / encodeSeconds }
    var tokensPerSecond: Double { Double(tokens) / encodeSeconds }

    var summary: String {
        String(
            format: "%@: %d bytes → %d tokens in %.3f s: %.2f MB/s, %.0f tokens/s (tokenizer built in %.3f s)",
            (model as NSString).lastPathComponent, bytes, tokens, encodeSeconds,
            megabytesPerSecond, tokensPerSecond, loadSeconds)
    }

    var json: String {
        let fields: [String: Any] = [
            "model": model, "file": file, "bytes": bytes, "tokens": tokens,
            "load_seconds": loadSeconds, "encode_seconds": encodeSeconds,
            "mb_per_s": megabytesPerSecond, "tokens_per_s": tokensPerSecond,
        ]
        return CanonicalJSON.line(fields)
    }
}

extension Duration {
    var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) / 1e18
    }
}
