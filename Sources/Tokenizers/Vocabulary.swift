import GGUF

/// What both tokenizer kinds read from the GGUF: token texts and types, BOS/EOS, the
/// end-of-generation set and the special-token splitter.
struct Vocabulary: Sendable {
    let table: TokenTable
    let types: [TokenType]
    let bosID: Int?
    let eosID: Int?
    let addBOS: Bool
    let endOfGeneration: Set<Int>
    let specials: SpecialTokenSplitter

    /// Token texts that end a turn in the chat templates llama.cpp knows; it adds them to its EOG set by name.
    static let endOfGenerationTexts: Set<String> = [
        "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|eom_id|>",
        "<EOT>", "_<EOT>", "<|end_of_text|>", "<end_of_utterance>",
    ]

    /// Special-token ids that must lie inside the vocabulary when present.
    static let specialIDKeys = ["bos", "eos", "eot", "eom", "padding", "unknown"].map {
        "tokenizer.ggml.\($0)_token_id"
    }

    init(file f: GGUFFile, addBOSDefault: Bool) throws {
        let texts = try Self.read(f, "tokenizer.ggml.tokens") { try f.strings($0) }
        guard !texts.isEmpty else {
            throw TokenizerError.inconsistentMetadata(path: f.path, reason: "tokenizer.ggml.tokens is an empty list")
        }
        table = TokenTable(texts: texts)
        if f.metadata["tokenizer.ggml.token_type"] != nil {
            let raw = try Self.read(f, "tokenizer.ggml.token_type") { try f.ints($0) }
            guard raw.count == texts.count else {
                throw TokenizerError.inconsistentMetadata(
                    path: f.path,
                    reason: "tokenizer.ggml.token_type has \(raw.count) entries but there are \(texts.count) tokens")
            }
            types = raw.map { TokenType(rawValue: UInt8(clamping: $0)) ?? .undefined }
        } else {
            types = [TokenType](repeating: .normal, count: texts.count)
        }
        // A BYTE token stands for the byte its text names; any other text would make decoding guess.
        let (table, types) = (self.table, self.types)
        if let id = types.indices.first(where: { types[$0] == .byte && Vocabulary.byteValue(table.text($0)) == nil }) {
            throw TokenizerError.inconsistentMetadata(
                path: f.path,
                reason:
                    "token \(id) \(texts[id].debugDescription) has type BYTE (6) but its text is not of the form <0xNN>"
            )
        }
        let n = texts.count
        var ids: [String: Int] = [:]
        for key in Self.specialIDKeys {
            guard let v = try Self.read(f, key, { try f.optional($0, f.int) }) else { continue }
            guard (0..<n).contains(v) else {
                throw TokenizerError.inconsistentMetadata(
                    path: f.path,
                    reason: "\(key) is \(v), outside the vocabulary of \(n) tokens (0 to \(n - 1))")
            }
            ids[key] = v
        }
        bosID = ids["tokenizer.ggml.bos_token_id"]
        eosID = ids["tokenizer.ggml.eos_token_id"]
        addBOS = try Self.read(f, "tokenizer.ggml.add_bos_token") { try f.optional($0, f.bool) } ?? addBOSDefault
        var eog = Set<Int>()
        for key in ["eos", "eot", "eom"] { if let id = ids["tokenizer.ggml.\(key)_token_id"] { eog.insert(id) } }
        for text in Self.endOfGenerationTexts {
            let id = table.id(text)
            if id >= 0 { eog.insert(Int(id)) }
        }
        endOfGeneration = eog
        specials = SpecialTokenSplitter(table: table, types: types)
    }

    /// Reads a key, turning a GGUF error into a tokenizer error that names the key.
    static func read<T>(_ f: GGUFFile, _ key: String, _ get: (String) throws -> T) throws -> T {
        do { return try get(key) } catch let e as GGUFError {
            throw TokenizerError.missingMetadata(path: f.path, key: key, reason: "\(e)")
        }
    }

    func type(_ id: Int) -> TokenType { id >= 0 && id < types.count ? types[id] : .undefined }

    /// `<0xNN>` → NN; nil for any other text.
    static func byteValue(_ text: UnsafeBufferPointer<UInt8>) -> UInt8? {
        func hex(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
            default: return nil
            }
        }
        guard text.count == 6, text[0] == UInt8(ascii: "<"), text[1] == UInt8(ascii: "0"), text[2] == UInt8(ascii: "x"),
            text[5] == UInt8(ascii: ">"), let hi = hex(text[3]), let lo = hex(text[4])
        else { return nil }
        return hi << 4 | lo
    }
}

/// The parts of `Tokenizer` both kinds share: they differ only in how a raw text piece becomes ids
/// and how a normal token becomes bytes.
protocol VocabularyTokenizer: Tokenizer {
    var vocab: Vocabulary { get }
    /// Appends the ids of one raw piece; `afterSpecial` is true at the start and after a special token.
    func encodeRaw(_ text: UnsafeBufferPointer<UInt8>, afterSpecial: Bool, into out: inout [Int])
    /// Appends the bytes a normal token stands for.
    func appendNormalBytes(_ id: Int, to out: inout [UInt8])
}

extension VocabularyTokenizer {
    public var vocabSize: Int { vocab.table.count }
    public var bosID: Int? { vocab.bosID }
    public var eosID: Int? { vocab.eosID }
    public var addBOSByDefault: Bool { vocab.addBOS }
    public func isEndOfGeneration(_ id: Int) -> Bool { vocab.endOfGeneration.contains(id) }
    /// The id of a vocabulary entry given its exact text, or nil.
    public func id(ofPiece text: String) -> Int? { let i = Int(vocab.table.id(text)); return i >= 0 ? i : nil }

    public func encode(_ text: String, addBOS: Bool, parseSpecial: Bool) -> [Int] {
        var out: [Int] = []
        if addBOS, let bos = vocab.bosID { out.append(bos) }
        var utf8 = Array(text.utf8)
        utf8.withUnsafeMutableBufferPointer { mb in
            let buf = UnsafeBufferPointer(mb)
            var afterSpecial = true
            for fragment in vocab.specials.split(buf, parseSpecial: parseSpecial) {
                switch fragment {
                case let .token(id):
                    out.append(Int(id)); afterSpecial = true
                case let .text(r):
                    encodeRaw(UnsafeBufferPointer(rebasing: buf[r]), afterSpecial: afterSpecial, into: &out)
                    afterSpecial = false
                }
            }
        }
        return out
    }

    func appendBytes(_ id: Int, to out: inout [UInt8]) {
        switch vocab.type(id) {
        case .normal: appendNormalBytes(id, to: &out)
        case .byte: out.append(Vocabulary.byteValue(vocab.table.text(id)) ?? 0)  // checked at load: never nil
        case .control, .userDefined, .unknown: out.append(contentsOf: vocab.table.text(id))
        case .unused, .undefined: break
        }
    }

    public func decode(_ ids: [Int]) -> String {
        var bytes: [UInt8] = []
        for id in ids where id >= 0 && id < vocabSize { appendBytes(id, to: &bytes) }
        return String(decoding: bytes, as: UTF8.self)
    }

    public func piece(_ id: Int) -> String { decode([id]) }
}
