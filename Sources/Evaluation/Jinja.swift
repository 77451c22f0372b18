import Foundation

/// The subset of Jinja expressions that lm-eval task YAMLs use without Python (issue 19), parsed so that it can be
/// rewritten into Stencil (`JinjaToStencil`). Everything else is refused with the construct named.
///
/// Supported inside `{{ … }}`: field names and paths (`choices.text`, `choices[0]`, `choices[-1]`, `labels[answer]`),
/// slices (`words[:-1]`), string and integer literals, list literals (`[sol1, sol2]`, as a whole doc_to_choice or
/// subscripted), `+` / `~` concatenation and `+` / `-` on integers, parentheses, the string methods `strip lstrip
/// rstrip lower upper capitalize title split replace startswith endswith` and the list method `index`, and the
/// filters `join trim lower upper capitalize title replace first last length count int string list regex_replace`.
indirect enum JinjaExpr: Equatable {
    case name(String)
    case string(String)
    case int(Int)
    case list([JinjaExpr])
    case attribute(JinjaExpr, String)
    case index(JinjaExpr, JinjaExpr)
    case slice(JinjaExpr, JinjaExpr?, JinjaExpr?)
    case call(JinjaExpr, String, [JinjaExpr])
    case filter(JinjaExpr, String, [JinjaExpr])
    case binary(String, JinjaExpr, JinjaExpr)

    /// The document fields the expression reads (root names and the longest plain paths), for error messages.
    var fieldPaths: [String] {
        switch self {
        case .name(let n): return [n]
        case .string, .int: return []
        case .list(let items): return items.flatMap(\.fieldPaths)
        case .attribute(let base, _): return plainPath.map { [$0] } ?? base.fieldPaths
        case .index(let base, let i):
            if let p = plainPath { return [p] }
            return base.fieldPaths + i.fieldPaths
        case .slice(let base, let a, let b): return base.fieldPaths + (a?.fieldPaths ?? []) + (b?.fieldPaths ?? [])
        case .call(let base, _, let args), .filter(let base, _, let args):
            return base.fieldPaths + args.flatMap(\.fieldPaths)
        case .binary(_, let a, let b): return a.fieldPaths + b.fieldPaths
        }
    }

    /// "a.b[0]" for a path of names, attributes and non-negative integer subscripts.
    var plainPath: String? {
        switch self {
        case .name(let n): return n
        case .attribute(let base, let key): return base.plainPath.map { "\($0).\(key)" }
        case .index(let base, .int(let i)) where i >= 0: return base.plainPath.map { "\($0)[\(i)]" }
        default: return nil
        }
    }
}

/// A template split into literal text and `{{ expression }}` parts; `{% … %}` statements and `{# … #}` comments
/// are refused (no task in scope needs them).
enum JinjaPart: Equatable {
    case text(String)
    case expression(JinjaExpr, source: String)
}

/// Why a template cannot be read: `construct` names what is not supported.
struct JinjaError: Error, Equatable {
    var construct: String
}

enum Jinja {
    static func parseTemplate(_ template: String) throws -> [JinjaPart] {
        var parts: [JinjaPart] = []
        var rest = Substring(template)
        var text = ""
        while let open = rest.range(of: "{") {
            let after = rest[open.upperBound...]
            if after.hasPrefix("{") {
                text += rest[..<open.lowerBound]
                let body = after.dropFirst()
                guard let close = closingBraces(body) else { throw JinjaError(construct: "an unclosed {{") }
                let source = String(body[..<close]).trimmingCharacters(in: .whitespacesAndNewlines)
                if source.hasPrefix("-") || source.hasSuffix("-") || source.hasPrefix("+") {
                    throw JinjaError(construct: "whitespace control ({{- … -}})")
                }
                if !text.isEmpty { parts.append(.text(text)); text = "" }
                parts.append(.expression(try parseExpression(source), source: source))
                rest = body[body.index(close, offsetBy: 2)...]
            } else if after.hasPrefix("%") {
                let stmt = after.dropFirst().prefix { $0 != "%" }.trimmingCharacters(in: .whitespaces)
                let word = stmt.split(separator: " ").first.map(String.init) ?? ""
                throw JinjaError(
                    construct: "the statement {% \(word) %} (Jinja statements are not supported; "
                        + "only {{ expressions }})")
            } else if after.hasPrefix("#") {
                throw JinjaError(construct: "a {# comment #}")
            } else {
                text += rest[...open.lowerBound]
                rest = after
            }
        }
        text += rest
        if !text.isEmpty { parts.append(.text(text)) }
        return parts
    }

    /// The index of the `}}` that closes an expression, skipping quoted strings.
    static func closingBraces(_ s: Substring) -> Substring.Index? {
        var quote: Character?
        var i = s.startIndex
        while i < s.endIndex {
            let c = s[i]
            if let q = quote {
                if c == "\\" { i = s.index(after: i) } else if c == q { quote = nil }
            } else if c == "'" || c == "\"" {
                quote = c
            } else if c == "}", s[s.index(after: i)...].hasPrefix("}") {
                return i
            }
            if i < s.endIndex { i = s.index(after: i) }
        }
        return nil
    }

    static func parseExpression(_ source: String) throws -> JinjaExpr {
        var p = Parser(tokens: try tokenize(source))
        let e = try p.expression()
        guard p.atEnd else { throw JinjaError(construct: p.describeNext()) }
        return e
    }

    enum Token: Equatable { case name(String), string(String), int(Int), op(String) }

    static func tokenize(_ s: String) throws -> [Token] {
        var out: [Token] = []
        let chars = Array(s)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c.isWhitespace { i += 1; continue }
            if c.isLetter || c == "_" {
                var j = i
                while j < chars.count, chars[j].isLetter || chars[j].isNumber || chars[j] == "_" { j += 1 }
                out.append(.name(String(chars[i..<j]))); i = j; continue
            }
            if c.isNumber {
                var j = i
                while j < chars.count, chars[j].isNumber { j += 1 }
                if j < chars.count, chars[j] == "." { throw JinjaError(construct: "a decimal number literal") }
                out.append(.int(Int(String(chars[i..<j]))!)); i = j; continue
            }
            if c == "'" || c == "\"" {
                var j = i + 1, value = ""
                while j < chars.count, chars[j] != c {
                    if chars[j] == "\\", j + 1 < chars.count {
                        j += 1
                        switch chars[j] {
                        case "n": value.append("\n")
                        case "t": value.append("\t")
                        case "r": value.append("\r")
                        case "\\", "'", "\"": value.append(chars[j])
                        default: value.append("\\"); value.append(chars[j])  // Python keeps unknown escapes
                        }
                    } else {
                        value.append(chars[j])
                    }
                    j += 1
                }
                guard j < chars.count else { throw JinjaError(construct: "an unterminated string literal") }
                out.append(.string(value)); i = j + 1; continue
            }
            let two = i + 1 < chars.count ? String(chars[i...i + 1]) : ""
            if ["==", "!=", "<=", ">=", "**", "//"].contains(two) { out.append(.op(two)); i += 2; continue }
            out.append(.op(String(c))); i += 1
        }
        return out
    }

    struct Parser {
        var tokens: [Token]
        var pos = 0
        var atEnd: Bool { pos >= tokens.count }
        var peek: Token? { atEnd ? nil : tokens[pos] }

        mutating func next() -> Token? { defer { pos += 1 }; return peek }

        mutating func accept(_ op: String) -> Bool {
            if peek == .op(op) { pos += 1; return true }
            return false
        }

        mutating func expect(_ op: String) throws {
            guard accept(op) else {
                throw JinjaError(construct: atEnd ? "an expression that ends early (missing \(op))" : describeNext())
            }
        }

        func describeNext() -> String {
            switch peek {
            case .name("if")?, .name("else")?: return "an inline if/else expression"
            case .name(let n)? where ["and", "or", "not", "is", "in"].contains(n): return "the operator \(n)"
            case .name(let n)?: return "the name \(n) in an unexpected place"
            case .op(let o)? where ["*", "/", "%", "**", "//"].contains(o): return "the arithmetic operator \(o)"
            case .op(let o)? where ["==", "!=", "<", ">", "<=", ">="].contains(o): return "the comparison \(o)"
            case .op("{")?: return "a dict literal"
            case .op(let o)?: return "the token \(o)"
            case .string?: return "a string literal in an unexpected place"
            case .int?: return "a number in an unexpected place"
            case nil: return "an empty expression"
            }
        }

        mutating func expression() throws -> JinjaExpr {
            var lhs = try postfix()
            while let t = peek, case .op(let o) = t, ["+", "-", "~"].contains(o) {
                pos += 1
                lhs = .binary(o, lhs, try postfix())
            }
            if !atEnd, peek != .op(")"), peek != .op("]"), peek != .op(","), peek != .op(":") {
                throw JinjaError(construct: describeNext())
            }
            return lhs
        }

        mutating func primary() throws -> JinjaExpr {
            switch next() {
            case .name(let n)?:
                if ["if", "else", "and", "or", "not", "is", "in"].contains(n) {
                    pos -= 1; throw JinjaError(construct: describeNext())
                }
                if n == "True" || n == "False" || n == "None" { throw JinjaError(construct: "the literal \(n)") }
                return .name(n)
            case .string(let s)?: return .string(s)
            case .int(let i)?: return .int(i)
            case .op("-")?:
                guard case .int(let i)? = next() else { throw JinjaError(construct: "a unary minus on a non-number") }
                return .int(-i)
            case .op("(")?:
                let e = try expression()
                try expect(")")
                return e
            case .op("[")?:
                var items: [JinjaExpr] = []
                if !accept("]") {
                    repeat { items.append(try expression()) } while accept(",")
                    try expect("]")
                }
                return .list(items)
            default:
                pos -= 1
                throw JinjaError(construct: describeNext())
            }
        }

        mutating func arguments() throws -> [JinjaExpr] {
            var args: [JinjaExpr] = []
            if accept(")") { return args }
            repeat {
                if case .name? = peek, pos + 1 < tokens.count, tokens[pos + 1] == .op("=") {
                    throw JinjaError(construct: "a keyword argument")
                }
                args.append(try expression())
            } while accept(",")
            try expect(")")
            return args
        }

        mutating func postfix() throws -> JinjaExpr {
            var e = try primary()
            while true {
                if accept(".") {
                    guard case .name(let n)? = next() else {
                        throw JinjaError(construct: "a '.' not followed by a name")
                    }
                    if accept("(") { e = .call(e, n, try arguments()) } else { e = .attribute(e, n) }
                } else if accept("[") {
                    var lower: JinjaExpr?
                    if peek != .op(":") { lower = try expression() }
                    if accept(":") {
                        var upper: JinjaExpr?
                        if peek != .op("]") { upper = try expression() }
                        if peek == .op(":") { throw JinjaError(construct: "a slice with a step") }
                        try expect("]")
                        e = .slice(e, lower, upper)
                    } else {
                        try expect("]")
                        e = .index(e, lower!)
                    }
                } else if accept("|") {
                    guard case .name(let n)? = next() else {
                        throw JinjaError(construct: "a '|' not followed by a filter name")
                    }
                    var args: [JinjaExpr] = []
                    if accept("(") { args = try arguments() }
                    e = .filter(e, n, args)
                } else {
                    return e
                }
            }
        }
    }
}
