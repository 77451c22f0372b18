import Basics
import ArgumentParser
import Foundation
import Tokenizers

/// A command-line input that could not be read, phrased as a sentence naming it.
enum InputError: Error, CustomStringConvertible {
    case unreadableFile(path: String, reason: String)

    var description: String {
        switch self {
        case let .unreadableFile(p, r): return "cannot read the text file \(p): \(r)."
        }
    }
}

/// Reads a whole file as one UTF-8 text, newlines included.
func readTextFile(_ path: String) throws -> String {
    do {
        return try String(contentsOfFile: path, encoding: .utf8)
    } catch {
        let problem = FileProblem.reading(path, error)
        // A readable regular file that still fails is not UTF-8.
        let reason =
            FileManager.default.isReadableFile(atPath: path) && problem != "it is a directory, not a file"
            ? "it is not UTF-8 text" : problem
        throw InputError.unreadableFile(path: path, reason: reason)
    }
}

struct Tokenize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the token ids a model's tokenizer gives a text (the same ids as llama-tokenize).",
        discussion: "Example: lisa tokenize models/gemma-3-270m-q4_k_m.gguf --text \"Hello world\" --json")

    @OptionGroup var modelArgument: ModelArgument
    var model: String { modelArgument.model }
    @Option(help: "The text to tokenize.") var text: String?
    @Option(name: .customLong("text-file"), help: "A file whose whole content, newlines included, is the text.")
    var textFile: String?
    @Flag(help: "Print one JSON line {\"ids\":[…]}.") var json = false
    @Flag(name: .customLong("no-bos"), help: "Do not prepend BOS even if the model asks for it.") var noBOS = false
    @Flag(name: .customLong("no-parse-special"), help: "Treat control tokens written in the text as plain text.")
    var noParseSpecial = false

    func validate() throws {
        if (text == nil) == (textFile == nil) {
            throw ValidationError("Give exactly one of --text and --text-file.")
        }
    }

    func run() throws {
        let input = try textFile.map(readTextFile) ?? text ?? ""
        let tokenizer = try TokenizerLoader.load(path: model)
        let ids = tokenizer.encode(input, addBOS: tokenizer.addBOSByDefault && !noBOS, parseSpecial: !noParseSpecial)
        print(Self.render(ids, tokenizer: tokenizer, json: json))
    }

    /// Plain output is one `id piece` line per token, the piece Swift-quoted so whitespace shows.
    static func render(_ ids: [Int], tokenizer: any Tokenizer, json: Bool) -> String {
        if json { return "{\"ids\":[" + ids.map(String.init).joined(separator: ",") + "]}" }
        return ids.map { "\($0) \(tokenizer.piece($0).debugDescription)" }.joined(separator: "\n")
    }
}
