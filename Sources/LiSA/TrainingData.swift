import Basics
import Datasets
import Foundation
import Tokenizers

/// Fixed-length training windows from one or more corpora, tokenized once and cached: the documents' tokens
/// (no BOS) are concatenated in file order, corpus after corpus, and cut into windows of seqLen − 1, each
/// prefixed with BOS when the tokenizer has one. Deterministic; no shuffling.
/// A corpus is JSONL with a "text" field (text_corpus/train.jsonl) or plain text (wikitext2/*.txt: each
/// non-blank line is a document, with its newline).
public struct TrainingWindows {
    public let windows: [[Int]]
    /// Documents tokenized by this call (0 when the cache held every token the windows needed).
    public let documentsTokenized: Int
    /// Documents whose tokens came from the cache.
    public let documentsFromCache: Int

    struct Record: JSONLRecord { let text: String }

    /// Tokenizes documents until `count` windows exist (or the corpora end). With `cache`, each corpus's token
    /// stream is kept in `cache.directory` under a key of the corpus bytes and `cache.tokenizerID` (the model's
    /// SHA-256): a later run reads it, and tokenizes only documents past the cached ones.
    public init(
        corpora: [URL], tokenizer: any Tokenizer, seqLen: Int, count: Int,
        cache: (directory: URL, tokenizerID: String)? = nil
    ) throws {
        let bos = tokenizer.bosID
        let body = bos == nil ? seqLen : seqLen - 1
        var stream: [Int] = [], out: [[Int]] = [], tokenized = 0, fromCache = 0
        for url in corpora where out.count < count {
            let docs = try Self.documents(url)
            var c = try cache.map {
                try CorpusTokenCache(corpus: url, directory: $0.directory, tokenizerID: $0.tokenizerID)
            }
            var next = 0
            // Cached tokens first (they are the first `c.documents` documents' tokens, in order).
            if let cached = c, cached.documents <= docs.count {
                stream += cached.tokens.lazy.map(Int.init); next = cached.documents; fromCache += cached.documents
            } else {
                c?.reset()
            }
            func cut() {
                var start = 0
                while stream.count - start >= body, out.count < count {
                    out.append((bos.map { [$0] } ?? []) + stream[start..<(start + body)])
                    start += body
                }
                stream.removeFirst(start)
            }
            cut()
            while out.count < count, next < docs.count {
                let t = tokenizer.encode(docs[next], addBOS: false, parseSpecial: false)
                c?.append(t, documents: 1)
                stream += t; next += 1; tokenized += 1
                cut()
            }
            try c?.saveIfChanged()
        }
        windows = out
        documentsTokenized = tokenized
        documentsFromCache = fromCache
    }

    /// The documents of a corpus file: JSONL "text" fields, or the non-blank lines of a .txt file.
    static func documents(_ url: URL) throws -> [String] {
        if url.pathExtension == "jsonl" { return try readJSONL(Record.self, from: url).map(\.text) }
        return try readLines(url).filter { !$0.allSatisfy(\.isWhitespace) }.map { String($0) + "\n" }
    }

    /// The batch of update `step` (windows reused cyclically when the corpus is shorter than the run).
    public func batch(step: Int, size: Int) -> [[Int]] {
        (0..<size).map { windows[(step * size + $0) % windows.count] }
    }
}

/// The token stream of a corpus's first `documents` documents, in a file named by the SHA-256 of the corpus
/// bytes and the tokenizer's identity. Layout: "LISATOK1", documents (UInt64), count (UInt64), count × Int32,
/// little-endian. A file that does not match its layout is ignored and rewritten (never trusted).
struct CorpusTokenCache {
    let file: URL
    private(set) var documents = 0
    private(set) var tokens: [Int32] = []
    private var changed = false
    static let magic = Data("LISATOK1".utf8)

    init(corpus: URL, directory: URL, tokenizerID: String) throws {
        let bytes = try Data(contentsOf: corpus)
        let key = SHA256.hex(bytes + Data(tokenizerID.utf8)).prefix(24)
        file = directory.appendingPathComponent("\(corpus.deletingPathExtension().lastPathComponent)-\(key).tokens")
        guard let d = try? Data(contentsOf: file), d.count >= 24, d.prefix(8) == Self.magic else { return }
        func u64(_ at: Int) -> UInt64 {
            d[d.startIndex + at..<d.startIndex + at + 8].reversed().reduce(0) { $0 << 8 | UInt64($1) }
        }
        let docs = u64(8), n = u64(16)
        guard n < UInt64(Int32.max), d.count == 24 + 4 * Int(n) else { return }
        tokens = d[(d.startIndex + 24)...].withUnsafeBytes { raw in
            (0..<Int(n)).map { Int32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self)) }
        }
        documents = Int(docs)
    }

    mutating func reset() { documents = 0; tokens = []; changed = true }

    mutating func append(_ t: [Int], documents n: Int) {
        tokens += t.map { Int32($0) }; documents += n; changed = true
    }

    /// Writes the file (atomically) when documents were added; a cache that cannot be written is skipped.
    func saveIfChanged() throws {
        guard changed else { return }
        var d = Self.magic
        for v in [UInt64(documents), UInt64(tokens.count)] {
            withUnsafeBytes(of: v.littleEndian) { d.append(contentsOf: $0) }
        }
        tokens.map(\.littleEndian).withUnsafeBytes { d.append(contentsOf: $0) }
        try? FileManager.default.createDirectory(
            at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try? d.write(to: file, options: .atomic)
    }
}
