import Foundation

/// What the index shows of one report: read from the report's own Markdown, its study file, its evaluation result
/// JSONs and an optional `meta.json` beside report.md (whose fields win). A fact nobody states stays nil and is
/// shown as "—".
public struct ReportFacts: Equatable, Sendable {
    public var model: String?
    /// Full 64-hex SHA-256 where a committed file gives it, else the prefix the report prints.
    public var sha256: String?
    /// Set when the digest is not printed in full by the report: "prefix completed" (the report's prefix matched one
    /// full digest stated in another committed file) or "by file name" (another report ties the model file to it).
    public var sha256Note: String?
    /// YYYY-MM-DD; `dateSource` says where it came from ("stated" in the report or study file, or "commit").
    public var date: String?
    public var dateSource: String?
    public var seeds: [UInt64] = []
    /// "piqa 100, wmt 100" (task and count, in the order stated).
    public var samples: String?
    public var wallSeconds: Double?
    /// "yes 2 · partly 1 · no 0" from a verdict table, the text of a "Verdict:" line, or nil.
    public var verdict: String?
    /// Commands that reproduce the report's results, in order, without duplicates.
    public var commands: [String] = []

    public init() {}

    /// Fills every fact still nil (or empty) from `other`.
    mutating func fill(from other: ReportFacts) {
        model = model ?? other.model
        if sha256 == nil { sha256 = other.sha256; sha256Note = other.sha256Note }
        if date == nil { date = other.date; dateSource = other.dateSource }
        if seeds.isEmpty { seeds = other.seeds }
        samples = samples ?? other.samples
        wallSeconds = wallSeconds ?? other.wallSeconds
        verdict = verdict ?? other.verdict
        for c in other.commands where !commands.contains(c) { commands.append(c) }
    }
}

/// Facts stated in a report's Markdown text. Pure functions of the text, so they are tested on written cases.
enum MarkdownFacts {
    static func facts(_ md: String) -> ReportFacts {
        var f = ReportFacts()
        f.model =
            first(#"[Mm]odel:?\s+`?(?:[\w./-]*/)?([\w.+-]+\.gguf)`?"#, md)
            ?? first(#"(?:[\w./-]*/)?([\w.+-]+\.gguf)"#, md)
        f.sha256 = first(#"sha256:?\s+`?([0-9a-f]{8,64})"#, md)
        if let d = first(#"\b(20\d\d-[01]\d-[0-3]\d)\b"#, md) { f.date = d; f.dateSource = "stated" }
        if let s = first(#"\b[Ss]eed:?\s+(\d+)"#, md), let v = UInt64(s) { f.seeds = [v] }
        f.wallSeconds = wallSeconds(md)
        f.verdict = verdict(md)
        f.commands = commands(md)
        return f
    }

    /// "Capture: N tokens in C s …; analyses A s" (study reports: C + A), or "Scoring time S s" (sensitivity reports).
    static func wallSeconds(_ md: String) -> Double? {
        if let m = groups(#"Capture: \d+ tokens in ([\d.]+) s[^;\n]*; analyses ([\d.]+) s"#, md),
            let c = Double(m[0]), let a = Double(m[1])
        {
            return c + a
        }
        if let s = first(#"Scoring time ([\d.]+) s"#, md) { return Double(s) }
        return nil
    }

    /// A verdict table (a column whose header starts with "agrees", as issue 17 asks of every report) counted by
    /// answer, else the text after a "Verdict:" label.
    static func verdict(_ md: String) -> String? {
        var counts: [String: Int] = [:], order: [String] = []
        for table in MarkdownTables.tables(md) {
            guard let col = table.header.firstIndex(where: { $0.lowercased().hasPrefix("agrees") }) else { continue }
            for row in table.rows where col < row.count {
                let answer =
                    row[col].lowercased().trimmingCharacters(in: CharacterSet.letters.inverted)
                    .components(separatedBy: CharacterSet.letters.inverted).first ?? ""
                guard !answer.isEmpty else { continue }
                if counts[answer] == nil { order.append(answer) }
                counts[answer, default: 0] += 1
            }
        }
        if !order.isEmpty {
            let known = ["yes", "partly", "no"]
            let sorted = known.filter { counts[$0] != nil } + order.filter { !known.contains($0) }
            return sorted.map { "\($0) \(counts[$0]!)" }.joined(separator: " · ")
        }
        if let line = first(#"(?m)^\s*(?:\*\*)?Verdict:?(?:\*\*)?:?\s+(.+)$"#, md) {
            return line.replacingOccurrences(of: "**", with: "").trimmingCharacters(in: .whitespaces)
        }
        return nil
    }

    /// `lisa …` and `scripts/…` lines of fenced code blocks (with `\` continuations joined and a leading `$ `
    /// dropped) and inline code spans that are whole `lisa` commands.
    static func commands(_ md: String) -> [String] {
        var out: [String] = []
        func add(_ c: String) {
            let c = c.trimmingCharacters(in: .whitespaces)
            if isCommand(c), !out.contains(c) { out.append(c) }
        }
        var inFence = false, pending = ""
        for raw in md.components(separatedBy: "\n") {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("```") { inFence.toggle(); pending = ""; continue }
            guard inFence else { continue }
            var text = line.hasPrefix("$ ") ? String(line.dropFirst(2)) : line
            if let hash = text.range(of: "   #") { text = String(text[..<hash.lowerBound]) }  // a trailing comment
            if !pending.isEmpty {
                pending += " " + text
            } else if isCommand(text) {
                pending = text
            } else {
                continue
            }
            if pending.hasSuffix("\\") {
                pending = String(pending.dropLast()).trimmingCharacters(in: .whitespaces)
            } else {
                add(pending); pending = ""
            }
        }
        for span in all(#"`(lisa [^`\n]+)`"#, md) where span.split(separator: " ").count >= 3 { add(span) }
        return out
    }

    static func isCommand(_ s: String) -> Bool {
        ["lisa ", ".build/release/lisa ", "scripts/"].contains { s.hasPrefix($0) }
    }

    // MARK: regular expressions

    static func groups(_ pattern: String, _ s: String) -> [String]? {
        guard let re = try? NSRegularExpression(pattern: pattern),
            let m = re.firstMatch(in: s, range: NSRange(s.startIndex..., in: s))
        else { return nil }
        return (1..<m.numberOfRanges).compactMap { Range(m.range(at: $0), in: s).map { String(s[$0]) } }
    }

    static func first(_ pattern: String, _ s: String) -> String? { groups(pattern, s)?.first }

    static func all(_ pattern: String, _ s: String) -> [String] {
        guard let re = try? NSRegularExpression(pattern: pattern) else { return [] }
        return re.matches(in: s, range: NSRange(s.startIndex..., in: s)).compactMap {
            Range($0.range(at: 1), in: s).map { String(s[$0]) }
        }
    }
}

/// Pipe tables of a Markdown text (header cells and body rows; the alignment row is dropped).
enum MarkdownTables {
    struct Table { var header: [String]; var rows: [[String]] }

    static func tables(_ md: String) -> [Table] {
        var out: [Table] = [], current: Table?
        let lines = md.components(separatedBy: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        var i = 0
        while i < lines.count {
            let line = lines[i]
            if line.hasPrefix("|") {
                if current == nil, i + 1 < lines.count, isAlignment(lines[i + 1]) {
                    current = Table(header: cells(line), rows: [])
                    i += 2; continue
                }
                current?.rows.append(cells(line))
            } else if let t = current {
                out.append(t); current = nil
            }
            i += 1
        }
        if let t = current { out.append(t) }
        return out
    }

    static func cells(_ line: String) -> [String] {
        var s = Substring(line)
        if s.hasPrefix("|") { s = s.dropFirst() }
        if s.hasSuffix("|") { s = s.dropLast() }
        return s.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
    }

    static func isAlignment(_ line: String) -> Bool {
        line.hasPrefix("|") && line.contains("-") && line.allSatisfy { "|-: ".contains($0) }
    }
}
