import Foundation

/// Rewrites a parsed Jinja expression into a Stencil filter expression (`base.path|filter:arg,arg`), which Stencil
/// then resolves. Stencil has no method calls, negative or computed subscripts, slices, list literals or operators,
/// so those become filters of `PythonFilters` (Python semantics, as lm-eval's Jinja has them). Every string literal
/// is hoisted into a context variable (`__l0`, …): Stencil's own literals have no escapes and split on spaces. A
/// computed filter argument (`labels.index(key.strip())`) is hoisted too, as a variable whose value is the compiled
/// argument (`__c0`), which Stencil resolves when the filter reads it.
struct StencilEmitter {
    /// Hoisted literals by variable name.
    private(set) var literals: [String: Any] = [:]
    /// Hoisted computed arguments: variable name → Stencil filter expression.
    private(set) var computed: [String: String] = [:]

    /// A Stencil variable (base) and the filters applied to it.
    struct Chain {
        var base: String
        var filters: [String] = []
        /// Whether `base` is a lookup path that Stencil can extend with `.key` / `.0`.
        var isPath: Bool
        var text: String { ([base] + filters).joined(separator: "|") }
        /// A Stencil filter argument: a variable or literal without filters.
        var argument: String? { filters.isEmpty ? base : nil }
    }

    mutating func literal(_ value: Any) -> String {
        let name = "__l\(literals.count)"
        literals[name] = value
        return name
    }

    mutating func emit(_ e: JinjaExpr) throws -> Chain {
        switch e {
        case .name(let n):
            // Stencil reads these words as literals or collection properties; Jinja reads them as field names.
            if ["true", "false", "count", "first", "last", "nan", "inf", "infinity"].contains(n.lowercased())
                || n.hasPrefix("__")
            {
                return Chain(base: "__root", filters: ["py_get:\(literal(n))"], isPath: false)
            }
            return Chain(base: n, isPath: true)
        case .string(let s): return Chain(base: literal(s), isPath: false)
        case .int(let i): return Chain(base: String(i), isPath: false)
        case .list:
            throw JinjaError(construct: "a list literal outside a whole doc_to_choice or a subscript")
        case .attribute(let b, let key):
            var c = try emit(b)
            if c.isPath, c.filters.isEmpty, !["count", "first", "last"].contains(key) {
                c.base += "." + key
            } else {
                c.filters.append("py_get:\(literal(key))"); c.isPath = false
            }
            return c
        case .index(.list(let items), let i):
            var c = try emit(i)
            c.filters.append(
                "py_pick:"
                    + (try items.map { try argument($0, "an item of a subscripted list literal") }).joined(
                        separator: ","))
            c.isPath = false
            return c
        case .index(let b, let i):
            var c = try emit(b)
            if case .int(let n) = i, n >= 0, c.isPath, c.filters.isEmpty {
                c.base += ".\(n)"
            } else {
                c.filters.append("py_get:" + (try argument(i, "a subscript")))
                c.isPath = false
            }
            return c
        case .slice(let b, let lo, let hi):
            var c = try emit(b)
            let l = try lo.map { try argument($0, "a slice bound") } ?? "__none"
            let h = try hi.map { try argument($0, "a slice bound") } ?? "__none"
            c.filters.append("py_slice:\(l),\(h)"); c.isPath = false
            return c
        case .call(.string(let sep), "join", let args) where args.count == 1:
            var c = try emit(args[0])
            c.filters.append("py_join:\(literal(sep))"); c.isPath = false
            return c
        case .call(.list(let items), "index", let args) where args.count == 1:
            var c = try emit(args[0])
            c.filters.append(
                "py_index_in:"
                    + (try items.map { try argument($0, "an item of a list literal") }).joined(separator: ","))
            c.isPath = false
            return c
        case .call(let b, let method, let args):
            guard let f = Self.methods[method] else { throw JinjaError(construct: "the method .\(method)()") }
            return try apply(f, to: b, args, what: "an argument of .\(method)()")
        case .filter(let b, let name, let args):
            guard let f = Self.filters[name] else { throw JinjaError(construct: "the filter |\(name)") }
            return try apply(f, to: b, args, what: "an argument of |\(name)")
        case .binary(let op, let a, let b):
            let forward = op == "~" ? "py_concat" : op == "+" ? "py_add" : "py_sub"
            let rhs = try argument(b, "an operand of \(op)")
            var c = try emit(a)
            c.filters.append("\(forward):\(rhs)"); c.isPath = false
            return c
        }
    }

    private mutating func apply(_ filter: String, to base: JinjaExpr, _ args: [JinjaExpr], what: String) throws -> Chain
    {
        var c = try emit(base)
        let a = try args.map { try argument($0, what) }
        c.filters.append(a.isEmpty ? filter : "\(filter):" + a.joined(separator: ","))
        c.isPath = false
        return c
    }

    /// An expression as a Stencil filter argument: a field path or a literal, else a hoisted computed variable.
    private mutating func argument(_ e: JinjaExpr, _ what: String) throws -> String {
        if case .list = e { throw JinjaError(construct: "a list literal as \(what)") }
        let c = try emit(e)
        if let a = c.argument { return a }
        let name = "__c\(computed.count)"
        computed[name] = c.text
        return name
    }

    /// Python string/list methods → filters.
    static let methods: [String: String] = [
        "strip": "py_strip", "lstrip": "py_lstrip", "rstrip": "py_rstrip", "lower": "py_lower", "upper": "py_upper",
        "capitalize": "py_capitalize", "title": "py_title", "split": "py_split", "replace": "py_replace",
        "index": "py_index", "startswith": "py_startswith", "endswith": "py_endswith",
    ]

    /// Jinja filters → filters.
    static let filters: [String: String] = [
        "join": "py_join", "trim": "py_strip", "lower": "py_lower", "upper": "py_upper", "capitalize": "py_capitalize",
        "title": "py_title", "replace": "py_replace", "first": "py_first", "last": "py_last", "length": "py_length",
        "count": "py_length", "int": "py_int", "string": "py_string", "list": "py_list",
        "regex_replace": "py_regex_replace",
    ]
}
