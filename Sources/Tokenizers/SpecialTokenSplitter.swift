/// Cuts text into raw pieces and whole special tokens, as llama.cpp's `tokenizer_st_partition` does.
///
/// llama.cpp takes the special tokens longest first and, for each, splits every remaining raw
/// piece at its leftmost non-overlapping occurrences. Scanning the text once per special token
/// would cost 6k passes for Gemma, so we find every occurrence of every special token in one pass
/// with a byte trie and then replay llama.cpp's order over those occurrences.
struct SpecialTokenSplitter: Sendable {
    enum Fragment: Equatable {
        case text(Range<Int>)
        case token(Int32)
    }

    private struct Occurrence { var start: Int; var length: Int; var token: Int32 }

    private var children: [Int: Int32] = [:]  // key: node << 8 | byte
    private var terminal: [Int32] = [-1]  // per node: the token ending here, or -1
    private var startsToken = [Bool](repeating: false, count: 256)
    /// Control and unknown tokens are matched only when the caller asks to parse special tokens;
    /// user-defined ones (Gemma's whitespace runs, `<html>`) always are.
    private var onlyWhenParsingSpecial: Set<Int32> = []

    init(table: TokenTable, types: [TokenType]) {
        for id in 0..<table.count {
            let type = types[id]
            guard type == .control || type == .userDefined || type == .unknown else { continue }
            let text = table.text(id)
            guard !text.isEmpty else { continue }
            if type != .userDefined { onlyWhenParsingSpecial.insert(Int32(id)) }
            startsToken[Int(text[0])] = true
            var node = 0
            for b in text {
                let key = node << 8 | Int(b)
                if let next = children[key] { node = Int(next); continue }
                terminal.append(-1)
                children[key] = Int32(terminal.count - 1)
                node = terminal.count - 1
            }
            terminal[node] = Int32(id)
        }
    }

    func split(_ text: UnsafeBufferPointer<UInt8>, parseSpecial: Bool) -> [Fragment] {
        let n = text.count
        var found: [Occurrence] = []
        for i in 0..<n where startsToken[Int(text[i])] {
            var node = 0, j = i
            while j < n, let next = children[node << 8 | Int(text[j])] {
                node = Int(next); j += 1
                let t = terminal[node]
                if t >= 0 && (parseSpecial || !onlyWhenParsingSpecial.contains(t)) {
                    found.append(Occurrence(start: i, length: j - i, token: t))
                }
            }
        }
        if found.isEmpty { return n == 0 ? [] : [.text(0..<n)] }

        // Longest token first; ties by id stand in for llama.cpp's (unstable) sort order.
        // Within one token, leftmost occurrences win, and nothing may overlap an earlier claim.
        found.sort { a, b in
            a.length != b.length ? a.length > b.length : (a.token != b.token ? a.token < b.token : a.start < b.start)
        }
        var claimed = [Bool](repeating: false, count: n)
        var accepted: [Occurrence] = []
        for o in found {
            if claimed[o.start] || claimed[o.start + o.length - 1] { continue }
            if (o.start..<(o.start + o.length)).contains(where: { claimed[$0] }) { continue }
            for k in o.start..<(o.start + o.length) { claimed[k] = true }
            accepted.append(o)
        }
        accepted.sort { $0.start < $1.start }
        var out: [Fragment] = []
        var pos = 0
        for o in accepted {
            if o.start > pos { out.append(.text(pos..<o.start)) }
            out.append(.token(o.token))
            pos = o.start + o.length
        }
        if pos < n { out.append(.text(pos..<n)) }
        return out
    }
}
