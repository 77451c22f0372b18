import Foundation
import Stencil

/// Python's None in a template context (JSON null); Stencil's nil means "undefined" here.
struct PyNone: Equatable {}

/// A template read a value the document does not have (lm-eval renders with StrictUndefined, which raises).
struct UndefinedValue: Error {}

/// A Python operation failed (a TypeError or ValueError in lm-eval); `reason` says which.
struct PythonValueError: Error { var reason: String }

/// The Stencil filters the rewritten lm-eval expressions call (`StencilEmitter`), with Python's semantics.
enum PythonFilters {
    static let environment: Environment = {
        let ext = Extension()
        func reg(_ name: String, _ f: @escaping (Any, [Any?]) throws -> Any?) {
            ext.registerFilter(name) { (value: Any?, args: [Any?], context: Context) in
                // Stencil rewraps a filter's error as a TemplateSyntaxError: keep the original for `unwrapping`.
                do {
                    guard let value else { throw UndefinedValue() }
                    return try f(value, args)
                } catch {
                    (context[failureKey] as? FailureBox)?.error = error
                    throw error
                }
            }
        }
        reg("py_str") { v, _ in str(v) }
        reg("py_string") { v, _ in str(v) }
        reg("py_get") { v, a in try get(v, a.first ?? nil) }
        reg("py_slice") { v, a in try slice(v, a.count > 0 ? a[0] : nil, a.count > 1 ? a[1] : nil) }
        reg("py_pick") { v, a in
            guard let i = int(v) else {
                throw PythonValueError(reason: "list indices must be integers, not \(typeName(v))")
            }
            let j = i < 0 ? a.count + i : i
            guard a.indices.contains(j), let item = a[j] else {
                throw PythonValueError(reason: "list index \(i) out of range")
            }
            return item
        }
        reg("py_index_in") { v, a in
            guard let i = a.firstIndex(where: { $0.map { equal($0, v) } ?? false }) else {
                throw PythonValueError(reason: "\(repr(v)) is not in list")
            }
            return i
        }
        reg("py_index") { v, a in
            guard let list = v as? [Any] else {
                throw PythonValueError(reason: ".index() on \(typeName(v)), not a list")
            }
            guard let x = a.first ?? nil else { throw UndefinedValue() }
            guard let i = list.firstIndex(where: { equal($0, x) }) else {
                throw PythonValueError(reason: "\(repr(x)) is not in list")
            }
            return i
        }
        reg("py_strip") { v, a in try strip(v, a, leading: true, trailing: true) }
        reg("py_lstrip") { v, a in try strip(v, a, leading: true, trailing: false) }
        reg("py_rstrip") { v, a in try strip(v, a, leading: false, trailing: true) }
        reg("py_lower") { v, _ in try string(v, "lower").lowercased() }
        reg("py_upper") { v, _ in try string(v, "upper").uppercased() }
        reg("py_capitalize") { v, _ in
            let s = try string(v, "capitalize")
            return s.prefix(1).uppercased() + s.dropFirst().lowercased()
        }
        reg("py_title") { v, _ in try string(v, "title").capitalized }
        reg("py_split") { v, a in
            let s = try string(v, "split")
            let maxsplit = a.count > 1 ? int(a[1] as Any) ?? -1 : -1
            return try split(s, separator: a.first.flatMap { $0 }.map { try string($0, "split") }, maxsplit: maxsplit)
        }
        reg("py_replace") { v, a in
            guard a.count >= 2, let old = a[0], let new = a[1] else {
                throw PythonValueError(reason: "replace needs two arguments")
            }
            return try string(v, "replace").replacingOccurrences(
                of: try string(old, "replace"), with: try string(new, "replace"))
        }
        reg("py_startswith") { v, a in try string(v, "startswith").hasPrefix(try string(a.first as Any, "startswith")) }
        reg("py_endswith") { v, a in try string(v, "endswith").hasSuffix(try string(a.first as Any, "endswith")) }
        reg("py_join") { v, a in
            let sep = a.first.flatMap { $0 }.map(str) ?? ""
            guard let list = v as? [Any] else { return str(v) }
            return list.map(str).joined(separator: sep)
        }
        reg("py_first") { v, _ in try get(v, 0) }
        reg("py_last") { v, _ in try get(v, -1) }
        reg("py_length") { v, _ in
            if let s = v as? String { return s.count }
            if let l = v as? [Any] { return l.count }
            if let d = v as? [String: Any] { return d.count }
            throw PythonValueError(reason: "\(typeName(v)) has no length")
        }
        // Jinja |int: int(value), 0 when it does not convert (True → 1).
        reg("py_int") { v, _ in
            if let b = v as? Bool { return b ? 1 : 0 }
            return int(v) ?? (v as? String).flatMap { Int($0.trimmingCharacters(in: .whitespaces)) } ?? 0
        }
        reg("py_list") { v, _ in (v as? String).map { $0.map { String($0) } } ?? v }
        reg("py_add") { v, a in try add(v, a.first ?? nil) }
        reg("py_sub") { v, a in
            guard let x = int(v), let y = a.first.flatMap({ $0 }).flatMap(int) else {
                throw PythonValueError(reason: "- needs two integers")
            }
            return x - y
        }
        reg("py_concat") { v, a in
            guard let rhs = a.first ?? nil else { throw UndefinedValue() }
            return str(v) + str(rhs)
        }
        reg("py_regex_replace") { v, a in
            guard a.count >= 2, let p = a[0], let r = a[1] else {
                throw PythonValueError(reason: "regex_replace needs a pattern and a replacement")
            }
            let pattern = try string(p, "regex_replace"), repl = try string(r, "regex_replace")
            guard let re = regex(pattern) else {
                throw PythonValueError(
                    reason: "regex_replace: \(pattern.debugDescription) is not a valid regular expression")
            }
            // Python's \1 group references → NSRegularExpression's $1 (a literal $ escaped).
            let template = repl.replacingOccurrences(of: "$", with: "\\$")
                .replacingOccurrences(of: #"\\(\d)"#, with: "\\$$1", options: .regularExpression)
            let s = try string(v, "regex_replace")
            return re.stringByReplacingMatches(in: s, range: NSRange(s.startIndex..., in: s), withTemplate: template)
        }
        return Environment(extensions: [ext])
    }()

    private static let regexLock = NSLock()
    nonisolated(unsafe) private static var regexes: [String: NSRegularExpression] = [:]

    /// Compiled once per pattern (HellaSwag's preprocessing runs a regex on every text of every document).
    static func regex(_ pattern: String) -> NSRegularExpression? {
        regexLock.lock(); defer { regexLock.unlock() }
        if let r = regexes[pattern] { return r }
        let r = try? NSRegularExpression(pattern: pattern)
        regexes[pattern] = r
        return r
    }

    /// Where a filter leaves its own error (UndefinedValue, PythonValueError): Stencil rethrows it wrapped.
    static let failureKey = "__failure"
    final class FailureBox { var error: Error? }

    static func typeName(_ v: Any) -> String {
        switch v {
        case is String: return "a string"
        case is Bool: return "a boolean"
        case is Int: return "an integer"
        case is Double, is Float: return "a number"
        case is [Any]: return "a list"
        case is [String: Any]: return "a dict"
        case is PyNone: return "None"
        default: return "\(type(of: v))"
        }
    }

    static func string(_ v: Any, _ op: String) throws -> String {
        guard let s = v as? String else { throw PythonValueError(reason: "\(op) needs a string, not \(typeName(v))") }
        return s
    }

    static func int(_ v: Any) -> Int? {
        if v is Bool { return nil }
        if let i = v as? Int { return i }
        if let f = v as? Float, f.rounded() == f { return Int(f) }
        return nil
    }

    static func equal(_ a: Any, _ b: Any) -> Bool {
        if let x = a as? String, let y = b as? String { return x == y }
        if let x = a as? Bool, let y = b as? Bool { return x == y }
        if a is Bool || b is Bool { return false }
        if let x = int(a), let y = int(b) { return x == y }
        return false
    }

    /// Python str(): what Jinja prints.
    static func str(_ v: Any) -> String {
        switch v {
        case let s as String: return s
        case let b as Bool: return b ? "True" : "False"
        case let i as Int: return String(i)
        case let d as Double: return d.rounded() == d && abs(d) < 1e16 ? String(format: "%.1f", d) : String(d)
        case is PyNone: return "None"
        default: return repr(v)
        }
    }

    /// Python repr() of strings, lists and dicts (single quotes unless the text holds one and no double quote).
    static func repr(_ v: Any) -> String {
        switch v {
        case let s as String:
            let q: Character = s.contains("'") && !s.contains("\"") ? "\"" : "'"
            var out = String(q)
            for c in s.unicodeScalars {
                switch c {
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\r": out += "\\r"
                case "\t": out += "\\t"
                case _ where Character(c) == q: out += "\\\(q)"
                case _ where c != " " && !printable(c):  // Python escapes what str.isprintable() refuses
                    out +=
                        c.value < 0x100
                        ? String(format: "\\x%02x", c.value)
                        : c.value < 0x10000 ? String(format: "\\u%04x", c.value) : String(format: "\\U%08x", c.value)
                default: out.unicodeScalars.append(c)
                }
            }
            return out + String(q)
        case let l as [Any]: return "[" + l.map(repr).joined(separator: ", ") + "]"
        case let d as [String: Any]:
            return "{" + d.keys.sorted().map { "\(repr($0)): \(repr(d[$0]!))" }.joined(separator: ", ") + "}"
        case is String, is Bool, is Int, is Double, is PyNone: return str(v)
        default: return "\(v)"
        }
    }

    /// Python's str.isprintable() for one character: not a control, format, surrogate, private-use, unassigned,
    /// line/paragraph separator or space separator (the ASCII space aside, which the caller keeps).
    static func printable(_ c: Unicode.Scalar) -> Bool {
        switch c.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned, .lineSeparator, .paragraphSeparator,
            .spaceSeparator:
            return false
        default: return true
        }
    }

    static func get(_ v: Any, _ key: Any?) throws -> Any? {
        guard let key else { throw UndefinedValue() }
        if let d = v as? [String: Any] { return d[str(key)] }
        guard let i = int(key) else { throw PythonValueError(reason: "indices must be integers, not \(typeName(key))") }
        if let l = v as? [Any] {
            let j = i < 0 ? l.count + i : i
            return l.indices.contains(j) ? l[j] : nil
        }
        if let s = v as? String {
            let chars = Array(s), j = i < 0 ? chars.count + i : i
            return chars.indices.contains(j) ? String(chars[j]) : nil
        }
        throw PythonValueError(reason: "\(typeName(v)) cannot be subscripted")
    }

    static func slice(_ v: Any, _ lo: Any?, _ hi: Any?) throws -> Any {
        func bounds(_ n: Int) throws -> Range<Int> {
            func clamp(_ x: Any?, _ dflt: Int) throws -> Int {
                guard let x else { return dflt }
                guard let i = int(x) else { throw PythonValueError(reason: "slice indices must be integers") }
                return min(max(i < 0 ? n + i : i, 0), n)
            }
            let a = try clamp(lo, 0), b = try clamp(hi, n)
            return a..<max(a, b)
        }
        if let l = v as? [Any] { return Array(l[try bounds(l.count)]) }
        if let s = v as? String { let c = Array(s); return String(c[try bounds(c.count)]) }
        throw PythonValueError(reason: "\(typeName(v)) cannot be sliced")
    }

    static func strip(_ v: Any, _ args: [Any?], leading: Bool, trailing: Bool) throws -> String {
        let s = try string(v, "strip")
        let set: (Character) -> Bool
        if let chars = args.first ?? nil {
            let cs = Set(try string(chars, "strip"))
            set = { cs.contains($0) }
        } else {
            set = { $0.isWhitespace }
        }
        var sub = Substring(s)
        if leading { sub = sub.drop(while: set) }
        if trailing { while let last = sub.last, set(last) { sub = sub.dropLast() } }
        return String(sub)
    }

    /// Python str.split: no separator splits on runs of whitespace and drops empty parts.
    static func split(_ s: String, separator: String?, maxsplit: Int) throws -> [Any] {
        guard let sep = separator else {
            var parts: [String] = [], rest = Substring(s).drop(while: \.isWhitespace)
            while !rest.isEmpty {
                if maxsplit >= 0, parts.count == maxsplit { parts.append(String(rest)); break }
                let word = rest.prefix { !$0.isWhitespace }
                parts.append(String(word))
                rest = rest[word.endIndex...].drop(while: \.isWhitespace)
            }
            return parts
        }
        guard !sep.isEmpty else { throw PythonValueError(reason: "split: empty separator") }
        var parts: [String] = [], rest = Substring(s)
        while let r = rest.range(of: sep), maxsplit < 0 || parts.count < maxsplit {
            parts.append(String(rest[..<r.lowerBound]))
            rest = rest[r.upperBound...]
        }
        parts.append(String(rest))
        return parts
    }

    static func add(_ a: Any, _ b: Any?) throws -> Any {
        guard let b else { throw UndefinedValue() }
        if let x = a as? String, let y = b as? String { return x + y }
        if let x = int(a), let y = int(b) { return x + y }
        if let x = a as? [Any], let y = b as? [Any] { return x + y }
        throw PythonValueError(reason: "+ between \(typeName(a)) and \(typeName(b))")
    }
}
