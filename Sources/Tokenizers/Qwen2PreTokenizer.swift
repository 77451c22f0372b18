/// The `qwen2` pre-tokenizer split, hand-written instead of a regex engine:
///
///     (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
///
/// llama.cpp runs this through std::regex on a "collapsed" text in which every non-ASCII code
/// point is replaced by a stand-in for its category (letter, number, whitespace, other), so
/// only ASCII letters match the contraction alternatives and `\s` is ASCII whitespace plus the
/// Unicode White_Space code points. The alternatives are tried in order at each position, as a
/// backtracking engine would; every position matches one of them, so the words tile the text.
enum Qwen2PreTokenizer {
    static let letter: UInt8 = 1, number: UInt8 = 2, space: UInt8 = 4, newline: UInt8 = 8

    private static let asciiClass: [UInt8] = (0..<128).map { c -> UInt8 in
        switch c {
        case 0x41...0x5A, 0x61...0x7A: return letter
        case 0x30...0x39: return number
        case 0x0A, 0x0D: return space | newline
        case 0x09, 0x0B, 0x0C, 0x20: return space
        default: return 0
        }
    }

    @inline(__always) static func classify(_ c: UInt32) -> UInt8 {
        if c < 128 { return asciiClass[Int(c)] }
        guard let s = Unicode.Scalar(c) else { return 0 }
        let p = s.properties
        if p.isWhitespace { return space }
        switch p.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return letter
        case .decimalNumber, .letterNumber, .otherNumber: return number
        default: return 0
        }
    }

    /// Splits UTF-8 `text` into words; calls `emit` with each word's byte range.
    static func split(_ text: UnsafeBufferPointer<UInt8>, _ emit: (Range<Int>) -> Void) {
        // Decode once: code points, their classes, and where each starts in `text`.
        var cps: [UInt32] = [], cls: [UInt8] = [], at: [Int] = []
        cps.reserveCapacity(text.count); cls.reserveCapacity(text.count); at.reserveCapacity(text.count + 1)
        var i = 0
        while i < text.count {
            let (c, n) = decodeScalar(text, i)
            cps.append(c); cls.append(classify(c)); at.append(i)
            i += n
        }
        at.append(text.count)
        let n = cps.count
        var pos = 0
        @inline(__always) func word(_ end: Int) { emit(at[pos]..<at[end]); pos = end }
        @inline(__always) func lower(_ c: UInt32) -> UInt32 { (c >= 0x41 && c <= 0x5A) ? c | 0x20 : c }
        @inline(__always) func isNL(_ j: Int) -> Bool { j < n && cls[j] & newline != 0 }
        while pos < n {
            let c = cps[pos], k = cls[pos]
            // (?i:'s|'t|'re|'ve|'m|'ll|'d)
            if c == 0x27 && pos + 1 < n {
                let a = lower(cps[pos + 1])
                if a == 0x73 || a == 0x74 || a == 0x6D || a == 0x64 { word(pos + 2); continue }
                if pos + 2 < n {
                    let b = lower(cps[pos + 2])
                    if (a == 0x72 && b == 0x65) || (a == 0x76 && b == 0x65) || (a == 0x6C && b == 0x6C) {
                        word(pos + 3); continue
                    }
                }
            }
            // [^\r\n\p{L}\p{N}]?\p{L}+
            if k & letter != 0 || (k & (newline | number) == 0 && pos + 1 < n && cls[pos + 1] & letter != 0) {
                var j = pos + 1
                while j < n && cls[j] & letter != 0 { j += 1 }
                word(j); continue
            }
            // \p{N}
            if k & number != 0 { word(pos + 1); continue }
            // ' '?[^\s\p{L}\p{N}]+[\r\n]*
            if k == 0 || (c == 0x20 && pos + 1 < n && cls[pos + 1] == 0) {
                var j = pos + 1
                while j < n && cls[j] == 0 { j += 1 }
                while isNL(j) { j += 1 }
                word(j); continue
            }
            // Whitespace: \s*[\r\n]+ ends after the run's last newline; \s+(?!\S) leaves the run's
            // last character for the next word unless the run reaches the end; else \s+.
            var j = pos, afterNewline = -1
            while j < n && cls[j] & space != 0 {
                if cls[j] & newline != 0 { afterNewline = j + 1 }
                j += 1
            }
            if afterNewline > 0 { word(afterNewline) } else if j == n || j - pos == 1 { word(j) } else { word(j - 1) }
        }
    }

    /// One code point from valid-or-not UTF-8; malformed bytes decode as U+FFFD one byte at a time.
    @inline(__always) static func decodeScalar(_ t: UnsafeBufferPointer<UInt8>, _ i: Int) -> (UInt32, Int) {
        let b0 = UInt32(t[i])
        if b0 < 0x80 { return (b0, 1) }
        @inline(__always) func cont(_ k: Int) -> UInt32? {
            guard i + k < t.count, t[i + k] & 0xC0 == 0x80 else { return nil }
            return UInt32(t[i + k] & 0x3F)
        }
        if b0 & 0xE0 == 0xC0, let c1 = cont(1) { return ((b0 & 0x1F) << 6 | c1, 2) }
        if b0 & 0xF0 == 0xE0, let c1 = cont(1), let c2 = cont(2) { return ((b0 & 0x0F) << 12 | c1 << 6 | c2, 3) }
        if b0 & 0xF8 == 0xF0, let c1 = cont(1), let c2 = cont(2), let c3 = cont(3) {
            return ((b0 & 0x07) << 18 | c1 << 12 | c2 << 6 | c3, 4)
        }
        return (0xFFFD, 1)
    }
}
