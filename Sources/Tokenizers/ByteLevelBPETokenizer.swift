import GGUF

/// GPT-2 byte-level BPE (`tokenizer.ggml.model = gpt2`), as llama.cpp's `llm_tokenizer_bpe`:
/// the pre-tokenizer cuts text into words, each word's bytes become the printable stand-in
/// characters of GPT-2's byte→unicode map, and adjacent symbols are merged by lowest merge rank.
///
/// We merge token ids instead of strings: every byte has a base token and every merge result is
/// in the vocabulary, so (left id, right id) → (rank, merged id) is the same rule without strings.
public struct ByteLevelBPETokenizer: VocabularyTokenizer {
    let vocab: Vocabulary
    public let preTokenizer: String
    private let byteTokens: [Int32]  // byte → id of its stand-in character
    private let merges: [UInt64: UInt64]  // left << 32 | right → rank << 32 | merged
    private let unicodeToByte: [Int16]  // stand-in code point → byte, -1 if none

    public init(file f: GGUFFile) throws {
        let pre = (try? f.string("tokenizer.ggml.pre")) ?? "default"
        guard pre == "qwen2" else { throw TokenizerError.unsupportedPreTokenizer(path: f.path, pre: pre) }
        preTokenizer = pre
        vocab = try Vocabulary(file: f, addBOSDefault: false)
        let table = vocab.table
        let map = Self.byteToUnicode()
        var u2b = [Int16](repeating: -1, count: 512)
        var bt = [Int32](repeating: -1, count: 256)
        for b in 0..<256 {
            u2b[Int(map[b])] = Int16(b)
            bt[b] = table.id(String(Unicode.Scalar(map[b])!))
            guard bt[b] >= 0 else {
                throw TokenizerError.inconsistentMetadata(path: f.path, reason: "byte \(b) has no base token")
            }
        }
        byteTokens = bt
        unicodeToByte = u2b
        let lines = try Vocabulary.read(f, "tokenizer.ggml.merges") { try f.strings($0) }
        var m = [UInt64: UInt64](minimumCapacity: lines.count)
        for (rank, line) in lines.enumerated() {
            // llama.cpp splits at the first space after the first character.
            let u = Array(line.utf8)
            guard u.count > 2, let sp = u[1...].firstIndex(of: 0x20) else { continue }
            let l = u[..<sp].withUnsafeBufferPointer { table.id($0.baseAddress!, $0.count) }
            let r = u[(sp + 1)...].withUnsafeBufferPointer { table.id($0.baseAddress!, $0.count) }
            var joined = Array(u[..<sp]); joined.append(contentsOf: u[(sp + 1)...])
            let merged = joined.withUnsafeBufferPointer { table.id($0.baseAddress!, $0.count) }
            guard l >= 0, r >= 0, merged >= 0 else { continue }
            let key = UInt64(UInt32(l)) << 32 | UInt64(UInt32(r))
            if m[key] == nil { m[key] = UInt64(rank) << 32 | UInt64(UInt32(merged)) }
        }
        merges = m
    }

    /// GPT-2's map: printable Latin-1 bytes stand for themselves, the rest for U+0100 onwards.
    static func byteToUnicode() -> [UInt32] {
        var map = [UInt32](repeating: 0, count: 256)
        var next: UInt32 = 256
        for b in 0..<256 {
            if (0x21...0x7E).contains(b) || (0xA1...0xAC).contains(b) || (0xAE...0xFF).contains(b) {
                map[b] = UInt32(b)
            } else {
                map[b] = next; next += 1
            }
        }
        return map
    }

    func encodeRaw(_ raw: UnsafeBufferPointer<UInt8>, afterSpecial: Bool, into out: inout [Int]) {
        var syms: [Int32] = [], ranks: [UInt64] = []
        Qwen2PreTokenizer.split(raw) { r in
            syms.removeAll(keepingCapacity: true)
            for i in r { syms.append(byteTokens[Int(raw[i])]) }
            if syms.count > 1 { mergeWord(&syms, &ranks) }
            for s in syms { out.append(Int(s)) }
        }
    }

    private static let noMerge = UInt64.max

    @inline(__always) private func rank(_ l: Int32, _ r: Int32) -> UInt64 {
        merges[UInt64(UInt32(l)) << 32 | UInt64(UInt32(r))] ?? Self.noMerge
    }

    /// Repeatedly merges the lowest-ranked adjacent pair, leftmost first on ties — the order
    /// llama.cpp's priority queue produces. `ranks[i]` caches pair (i, i+1); only the two
    /// neighbours of a merge change, so each step costs two lookups and one scan.
    private func mergeWord(_ syms: inout [Int32], _ ranks: inout [UInt64]) {
        ranks.removeAll(keepingCapacity: true)
        for i in 0..<(syms.count - 1) { ranks.append(rank(syms[i], syms[i + 1])) }
        while syms.count > 1 {
            var best = 0
            var bestRank = ranks[0]
            for i in 1..<ranks.count where ranks[i] < bestRank { bestRank = ranks[i]; best = i }
            guard bestRank != Self.noMerge else { return }
            syms[best] = Int32(truncatingIfNeeded: bestRank & 0xFFFF_FFFF)
            syms.remove(at: best + 1)
            ranks.remove(at: best)
            if best > 0 { ranks[best - 1] = rank(syms[best - 1], syms[best]) }
            if best < ranks.count { ranks[best] = rank(syms[best], syms[best + 1]) }
        }
    }

    func appendNormalBytes(_ id: Int, to out: inout [UInt8]) {
        let t = vocab.table.text(id)
        var i = 0
        while i < t.count {
            let (c, n) = Qwen2PreTokenizer.decodeScalar(t, i)
            if c < 512, unicodeToByte[Int(c)] >= 0 {
                out.append(UInt8(unicodeToByte[Int(c)]))
            } else {
                out.append(contentsOf: t[i..<(i + n)])
            }
            i += n
        }
    }
}
