import Foundation

/// A tiny stand-in for lm-eval's Jinja templates: `{field}`, `{field[i]}` and filters `{field|strip|…}`.
/// Literal text is copied as is; there is no escaping (no task needs a literal brace).
public enum Template {
    public static func render(_ template: String, _ doc: Document, task: String) throws -> String {
        var out = ""
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{") {
            out += rest[..<open]
            guard let close = rest[open...].firstIndex(of: "}") else {
                throw EvalError.badTemplate(task: task, template: template, reason: "has an unclosed {")
            }
            out += try expand(String(rest[rest.index(after: open)..<close]), doc, task: task, template: template)
            rest = rest[rest.index(after: close)...]
        }
        return out + rest
    }

    /// The value of a list field (choices, endings, aliases) or a one-element list for a text field.
    public static func list(_ field: String, _ doc: Document, task: String) throws -> [String] {
        switch doc.fields[field] {
        case .list(let l): return l
        case .text(let s): return [s]
        case .number(let n): return [String(n)]
        case nil: throw EvalError.badTemplate(task: task, template: field, reason: "names a field the document lacks")
        }
    }

    static func expand(_ expr: String, _ doc: Document, task: String, template: String) throws -> String {
        var parts = expr.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        var name = parts.removeFirst()
        var index: Int?
        if let lb = name.firstIndex(of: "["), name.hasSuffix("]") {
            index = Int(name[name.index(after: lb)..<name.index(before: name.endIndex)])
            name = String(name[..<lb])
        }
        var value: String
        switch (doc.fields[name], index) {
        case (.text(let s), nil): value = s
        case (.number(let n), nil): value = String(n)
        case (.list(let l), let i?) where l.indices.contains(i): value = l[i]
        case (nil, _): throw EvalError.badTemplate(task: task, template: template, reason: "names the field \(name), which the document lacks")
        default: throw EvalError.badTemplate(task: task, template: template, reason: "indexes \(name) wrongly")
        }
        for f in parts { value = try apply(filter: f, value, task: task, template: template) }
        return value
    }

    /// Filters named in tasks/*.json.
    public static func apply(filter: String, _ s: String, task: String, template: String) throws -> String {
        switch filter {
        case "strip": return s.trimmingCharacters(in: .whitespacesAndNewlines)
        case "spaces": return s.replacingOccurrences(of: "_", with: " ")          // MMLU subject names
        case "hellaswag": return hellaswagPreprocess(s)
        case "allButLastWord":                                                     // lambada: text.split(' ')[:-1]|join(' ')
            guard let r = s.range(of: " ", options: .backwards) else { return "" }
            return String(s[..<r.lowerBound])
        case "lastWord":                                                           // lambada: text.split(' ')[-1]
            guard let r = s.range(of: " ", options: .backwards) else { return s }
            return String(s[r.upperBound...])
        default: throw EvalError.badTemplate(task: task, template: template, reason: "uses the unknown filter \(filter)")
        }
    }

    /// lm-eval hellaswag/utils.py `preprocess`: strip, " [title]" → ". ", drop "[…]", collapse double spaces.
    /// Our file is already preprocessed (hellaswag/PROVENANCE.md), so this is (nearly) the identity.
    public static func hellaswagPreprocess(_ text: String) -> String {
        var t = text.trimmingCharacters(in: .whitespaces)
        t = t.replacingOccurrences(of: " [title]", with: ". ")
        t = t.replacingOccurrences(of: "\\[.*?\\]", with: "", options: .regularExpression)
        return t.replacingOccurrences(of: "  ", with: " ")
    }
}
