import GGUF

/// SentencePiece-BPE (`tokenizer.ggml.model = llama`), as llama.cpp's `llm_tokenizer_spm`:
/// spaces become U+2581, the text starts as one symbol per UTF-8 character, and the adjacent
/// pair whose concatenation is the highest-scoring vocabulary entry is merged until none is left.
/// Characters that never merged and are not in the vocabulary fall back to `<0xNN>` byte tokens.
public struct SentencePieceTokenizer: VocabularyTokenizer {
    let vocab: Vocabulary
    let scores: [Float]
    /// `tokenizer.ggml.add_space_prefix` (false for Gemma 3): prefix a raw piece with a space
    /// when it starts the text or follows a special token.
    public let addSpacePrefix: Bool
    private let byteTokens: [Int]

    static let spaceMark: [UInt8] = [0xE2, 0x96, 0x81]  // U+2581 "▁"

    public init(file f: GGUFFile) throws {
        vocab = try Vocabulary(file: f, addBOSDefault: true)
        let s = try Vocabulary.read(f, "tokenizer.ggml.scores") { try f.floats($0) }
        guard s.count == vocab.table.count else {
            throw TokenizerError.inconsistentMetadata(
                path: f.path,
                reason: "tokenizer.ggml.scores has \(s.count) entries but there are \(vocab.table.count) tokens")
        }
        scores = s
        addSpacePrefix =
            try Vocabulary.read(f, "tokenizer.ggml.add_space_prefix") { try f.optional($0, f.bool) } ?? true
        var bt = [Int](repeating: -1, count: 256)
        for b in 0..<256 {
            var id = vocab.table.id(String(format: "<0x%02X>", b))
            if id < 0 && b < 128 { id = vocab.table.id(String(UnicodeScalar(UInt8(b)))) }
            bt[b] = Int(id)
        }
        byteTokens = bt
    }

    private struct Bigram: MergeCandidate {
        var score: Float, left: Int32, right: Int32, size: Int32, token: Int32
        // Highest score first; among equals the leftmost, as llama.cpp's comparator orders them.
        static func outranks(_ a: Bigram, _ b: Bigram) -> Bool {
            a.score > b.score || (a.score == b.score && a.left < b.left)
        }
    }

    func encodeRaw(_ raw: UnsafeBufferPointer<UInt8>, afterSpecial: Bool, into out: inout [Int]) {
        var text: [UInt8] = []
        text.reserveCapacity(raw.count + raw.count / 4 + 3)
        if addSpacePrefix && afterSpecial { text.append(contentsOf: Self.spaceMark) }
        for b in raw { if b == 0x20 { text.append(contentsOf: Self.spaceMark) } else { text.append(b) } }
        text.withUnsafeBufferPointer { tokenize($0, into: &out) }
    }

    private func tokenize(_ text: UnsafeBufferPointer<UInt8>, into out: inout [Int]) {
        guard let base = text.baseAddress, !text.isEmpty else { return }
        // Symbols are byte ranges [start, start+len) of `text`, linked so merges are O(1).
        var start: [Int32] = [], len: [Int32] = [], token: [Int32] = []
        start.reserveCapacity(text.count); len.reserveCapacity(text.count)
        var pos = 0
        while pos < text.count {
            let n = min(Self.utf8Length(text[pos]), text.count - pos)
            start.append(Int32(pos)); len.append(Int32(n))
            pos += n
        }
        let count = start.count
        token = [Int32](repeating: -1, count: count)
        var prev = (0..<count).map { Int32($0 - 1) }
        var next = (0..<count).map { $0 + 1 < count ? Int32($0 + 1) : -1 }
        var heap = MergeHeap<Bigram>(capacity: count)
        let table = vocab.table

        func tryAdd(_ l: Int32, _ r: Int32) {
            guard l >= 0, r >= 0 else { return }
            let s = Int(start[Int(l)]), size = Int(len[Int(l)] + len[Int(r)])
            let id = table.id(base + s, size)
            guard id >= 0 else { return }
            heap.push(Bigram(score: scores[Int(id)], left: l, right: r, size: Int32(size), token: id))
        }
        for i in 1..<max(count, 1) { tryAdd(Int32(i - 1), Int32(i)) }
        while let bg = heap.pop() {
            let l = Int(bg.left), r = Int(bg.right)
            // Stale entries: one side was merged away or grew since the pair was queued.
            if len[l] == 0 || len[r] == 0 || len[l] + len[r] != bg.size { continue }
            len[l] += len[r]; len[r] = 0
            token[l] = bg.token
            next[l] = next[r]
            if next[r] >= 0 { prev[Int(next[r])] = Int32(l) }
            tryAdd(prev[l], Int32(l))
            tryAdd(Int32(l), next[l])
        }
        var i: Int32 = 0
        while i >= 0 {
            let k = Int(i)
            if token[k] >= 0 {
                out.append(Int(token[k]))
            } else {
                let id = table.id(base + Int(start[k]), Int(len[k]))
                if id >= 0 {
                    out.append(Int(id))
                } else {
                    for b in 0..<Int(len[k]) {
                        let t = byteTokens[Int(base[Int(start[k]) + b])]
                        if t >= 0 { out.append(t) }
                    }
                }
            }
            i = next[k]
        }
    }

    /// Byte count of the UTF-8 sequence that starts with `b` (1 for stray continuation bytes).
    @inline(__always) static func utf8Length(_ b: UInt8) -> Int {
        b < 0xC0 ? 1 : (b < 0xE0 ? 2 : (b < 0xF0 ? 3 : 4))
    }

    func appendNormalBytes(_ id: Int, to out: inout [UInt8]) {
        let t = vocab.table.text(id)
        var i = 0
        while i < t.count {
            if i + 2 < t.count && t[i] == 0xE2 && t[i + 1] == 0x96 && t[i + 2] == 0x81 {
                out.append(0x20); i += 3
            } else {
                out.append(t[i]); i += 1
            }
        }
    }
}
