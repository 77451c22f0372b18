/// What `lisa inspect` shows about a GGUF file, as plain Codable values (encoded as JSON by --json).
public struct GGUFSummary: Codable, Equatable, Sendable {
    public struct Tensor: Codable, Equatable, Sendable {
        public let name: String
        public let type: String
        /// PyTorch order (slowest first), i.e. the ggml dims reversed.
        public let shape: [Int]
        /// ggml order (dims[0] is the row length).
        public let ggmlDims: [Int]
        public let bytes: Int
    }

    public struct TypeTotal: Codable, Equatable, Sendable {
        public let type: String
        public let tensors: Int
        public let parameters: Int
        public let bytes: Int
    }

    public struct Tokenizer: Codable, Equatable, Sendable {
        public let model: String?
        public let pre: String?
        public let vocabSize: Int?
        public let bosId: Int?
        public let eosId: Int?
        public let padId: Int?
        public let addBosToken: Bool?

        public init(
            model: String?, pre: String?, vocabSize: Int?, bosId: Int?, eosId: Int?, padId: Int?, addBosToken: Bool?
        ) {
            self.model = model; self.pre = pre; self.vocabSize = vocabSize
            self.bosId = bosId; self.eosId = eosId; self.padId = padId; self.addBosToken = addBosToken
        }
    }

    /// A metadata entry: short values as text, arrays summarised (count, element type, first items).
    public struct Entry: Codable, Equatable, Sendable {
        public let key: String
        public let type: String
        public let value: String
    }

    public let path: String
    public let version: Int
    public let architecture: String?
    public let alignment: Int
    public let dataOffset: Int
    public let blockCount: Int?
    public let metadataCount: Int
    /// `general.*` and `<arch>.*` keys in file order.
    public let hyperParameters: [Entry]
    public let tokenizer: Tokenizer
    public let tensors: [Tensor]
    public let parameterCount: Int
    public let tensorBytes: Int
    public let byType: [TypeTotal]

    public init(_ f: GGUFFile) {
        path = f.path
        version = Int(f.version)
        architecture = f.architecture
        alignment = f.alignment
        dataOffset = f.dataOffset
        blockCount = try? f.archInt("block_count")
        metadataCount = f.metadataOrder.count
        let arch = f.architecture.map { $0 + "." } ?? "\u{0}"
        hyperParameters = f.metadataOrder
            .filter { $0.key.hasPrefix("general.") || $0.key.hasPrefix(arch) }
            .map { Entry(key: $0.key, type: $0.value.typeDescription, value: GGUFSummary.short($0.value)) }
        tokenizer = Tokenizer(
            model: f.metadata["tokenizer.ggml.model"]?.string,
            pre: f.metadata["tokenizer.ggml.pre"]?.string,
            vocabSize: f.metadata["tokenizer.ggml.tokens"]?.array?.count,
            bosId: f.metadata["tokenizer.ggml.bos_token_id"]?.int,
            eosId: f.metadata["tokenizer.ggml.eos_token_id"]?.int,
            padId: f.metadata["tokenizer.ggml.padding_token_id"]?.int,
            addBosToken: f.metadata["tokenizer.ggml.add_bos_token"]?.bool)
        tensors = f.tensors.map {
            Tensor(name: $0.name, type: $0.type.name, shape: $0.dims.reversed(), ggmlDims: $0.dims, bytes: $0.byteCount)
        }
        parameterCount = f.tensors.reduce(0) { $0 + $1.elementCount }
        tensorBytes = f.tensors.reduce(0) { $0 + $1.byteCount }
        var totals: [String: (Int, Int, Int)] = [:]
        for t in f.tensors {
            let old = totals[t.type.name] ?? (0, 0, 0)
            totals[t.type.name] = (old.0 + 1, old.1 + t.elementCount, old.2 + t.byteCount)
        }
        byType = totals.keys.sorted().map { k in
            let v = totals[k]!
            return TypeTotal(type: k, tensors: v.0, parameters: v.1, bytes: v.2)
        }
    }

    /// A value in at most about 80 characters; arrays show their first few items.
    public static func short(_ v: GGUFValue, limit: Int = 80) -> String {
        let text: String
        switch v {
        case let .string(s): text = s.debugDescription
        case let .array(items):
            let t = items.elementType
            let head = items.prefix(5).map { short($0, limit: 24) }.joined(separator: ", ")
            text = "[\(items.count) × \(t)] [\(head)\(items.count > 5 ? ", …" : "")]"
        case let .float32(x): text = "\(x)"
        case let .float64(x): text = "\(x)"
        case let .bool(b): text = "\(b)"
        default: text = v.int.map(String.init) ?? "\(v)"
        }
        return text.count <= limit ? text : String(text.prefix(limit - 1)) + "…"
    }
}
