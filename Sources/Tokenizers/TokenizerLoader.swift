import GGUF

/// Builds the tokenizer a GGUF file describes.
public enum TokenizerLoader {
    public static func load(from f: GGUFFile) throws -> any Tokenizer {
        let model = try Vocabulary.read(f, "tokenizer.ggml.model") { try f.string($0) }
        switch model {
        case "llama":
            return try SentencePieceTokenizer(file: f)
        case "gpt2":
            return try ByteLevelBPETokenizer(file: f)
        default:
            throw TokenizerError.unsupportedModel(path: f.path, model: model)
        }
    }

    public static func load(path: String) throws -> any Tokenizer {
        try load(from: GGUFFile(path: path))
    }
}
