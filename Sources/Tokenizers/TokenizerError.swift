/// Why a tokenizer could not be built from a GGUF file, phrased as a sentence naming the file.
public enum TokenizerError: Error, CustomStringConvertible, Equatable {
    case unsupportedModel(path: String, model: String)
    case unsupportedPreTokenizer(path: String, pre: String)
    case missingMetadata(path: String, key: String, reason: String)
    case inconsistentMetadata(path: String, reason: String)

    public var description: String {
        switch self {
        case let .unsupportedModel(p, m):
            return
                "\(p): tokenizer model \"\(m)\" is not supported (only \"llama\" SentencePiece-BPE and \"gpt2\" "
                + "byte-level BPE are)."
        case let .unsupportedPreTokenizer(p, pre):
            return "\(p): the gpt2 pre-tokenizer \"\(pre)\" is not supported (only \"qwen2\" is)."
        case let .missingMetadata(p, k, r):
            return "\(p): cannot read \(k): \(r)."
        case let .inconsistentMetadata(p, r):
            return "\(p): the tokenizer metadata is inconsistent: \(r)."
        }
    }
}
