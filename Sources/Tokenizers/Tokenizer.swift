/// Text ↔ token ids for one model, built from the tokenizer metadata of its GGUF file.
///
/// The ids match llama.cpp's `llama_tokenize` exactly (see the oracle tests), so prompts
/// tokenized here feed the model the same sequence llama.cpp would.
public protocol Tokenizer: Sendable {
    /// Number of entries in the vocabulary (the model's embedding rows).
    var vocabSize: Int { get }
    var bosID: Int? { get }
    var eosID: Int? { get }
    /// `tokenizer.ggml.add_bos_token`: whether `encode(_:)` prepends BOS.
    var addBOSByDefault: Bool { get }

    /// `parseSpecial` lets control tokens written in the text (`<start_of_turn>`, `<|im_start|>`)
    /// become their single id; user-defined tokens are always matched whole, as in llama.cpp.
    func encode(_ text: String, addBOS: Bool, parseSpecial: Bool) -> [Int]
    /// The text of the ids; control tokens are rendered as their text so that
    /// `decode(encode(s, addBOS: false))` gives `s` back.
    func decode(_ ids: [Int]) -> String
    /// One token's text as it would appear in `decode` (may be an incomplete UTF-8 sequence, shown with U+FFFD).
    func piece(_ id: Int) -> String
    /// EOS, end-of-turn and similar tokens that end a generated reply.
    func isEndOfGeneration(_ id: Int) -> Bool
    /// The id of the vocabulary entry whose text is exactly `text` (e.g. "<0xF4>"), or nil.
    func id(ofPiece text: String) -> Int?
}

extension Tokenizer {
    /// Encodes with the model's default BOS setting and special tokens parsed, like `llama-tokenize`.
    public func encode(_ text: String) -> [Int] {
        encode(text, addBOS: addBOSByDefault, parseSpecial: true)
    }
}

/// `tokenizer.ggml.token_type` values (llama.cpp's `llama_token_type`).
public enum TokenType: UInt8, Sendable {
    case undefined = 0, normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6
}
