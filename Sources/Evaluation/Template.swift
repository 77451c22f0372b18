import Datasets
import Foundation
import Stencil

/// A task template (doc_to_text, doc_to_target, doc_to_choice, description): lm-eval's Jinja, in the subset `Jinja`
/// reads, rewritten by `StencilEmitter` and rendered by Stencil. Compiled once per template string (`compile`).
public final class CompiledTemplate: @unchecked Sendable {  // immutable after init; Stencil nodes are read-only
    public let source: String
    let parts: [JinjaPart]
    /// The Stencil nodes of the rewritten template (parsed once; Stencil's Template.render would parse per call).
    let nodes: [NodeType]
    let literals: [String: Any]
    /// The template is exactly one expression: its value (a list, an integer, …) is what doc_to_choice and
    /// doc_to_target read, as lm-eval's `ast.literal_eval` of the rendered text would give.
    let single: Resolvable?
    /// The template is exactly one list literal (`{{[sol1, sol2]}}`): one resolvable per item.
    let items: [Resolvable]?
    /// The fields the template reads, to name the one a document lacks.
    let fieldPaths: [String]

    init(_ source: String) throws {
        self.source = source
        parts = try Jinja.parseTemplate(source)
        var emitter = StencilEmitter()
        var stencilText = "", paths: [String] = []
        var single: String?, items: [String]?
        for part in parts {
            switch part {
            case .text(let t): stencilText += t
            case .expression(let e, _):
                paths += e.fieldPaths
                if case .list(let l) = e, parts.count == 1 {
                    items = try l.map { try emitter.emit($0).text }
                } else {
                    let chain = try emitter.emit(e).text
                    if parts.count == 1 { single = chain }
                    stencilText += "{{ \(chain)|py_str }}"
                }
            }
        }
        let env = PythonFilters.environment
        var hoisted = emitter.literals
        for (name, chain) in emitter.computed { hoisted[name] = try env.compileFilter(chain) }
        literals = hoisted
        fieldPaths = paths
        let stencil = Stencil.Template(templateString: items == nil ? stencilText : "", environment: env)
        nodes = try TokenParser(tokens: stencil.tokens, environment: env).parse()
        self.single = try single.map { try env.compileFilter($0) }
        self.items = try items?.map { try env.compileFilter($0) }
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var cache: [String: CompiledTemplate] = [:]

    /// The compiled template for `source` (cached; templates are few and reused for every document).
    static func compile(_ source: String) throws -> CompiledTemplate {
        lock.lock(); defer { lock.unlock() }
        if let t = cache[source] { return t }
        let t = try CompiledTemplate(source)
        cache[source] = t
        return t
    }

    /// The document's fields, with the hoisted literals, `__root` (the fields again) and a failure box pushed on top:
    /// a field named like a literal ("__l0") cannot hide it, and `StencilEmitter` reads such fields through `__root`.
    func withContext<T>(_ doc: Document, _ body: (Context) throws -> T) throws -> T {
        let fields = doc.stencilFields
        var top = literals
        let failure = PythonFilters.FailureBox()
        top[PythonFilters.failureKey] = failure
        top["__root"] = fields
        let ctx = Context(dictionary: fields, environment: PythonFilters.environment)
        do { return try ctx.push(dictionary: top) { try body(ctx) } } catch {
            throw failure.error ?? error  // the filter's own error, not Stencil's wrapper
        }
    }

    /// The rendered text (lm-eval `apply_template`).
    func render(_ doc: Document) throws -> String {
        if items != nil { return PythonFilters.repr(try value(doc)) }
        return try withContext(doc) { try renderNodes(nodes, $0) }
    }

    /// The template's value: a list for a list literal, the expression's value for a single expression, else the text.
    func value(_ doc: Document) throws -> Any {
        try withContext(doc) { try value($0) }
    }

    private func value(_ ctx: Context) throws -> Any {
        if let items {
            return try items.map { r -> Any in
                guard let v = try r.resolve(ctx) else { throw UndefinedValue() }
                return PythonFilters.str(v)
            }
        }
        if let single {
            guard let v = try single.resolve(ctx) else { throw UndefinedValue() }
            return v
        }
        return try renderNodes(nodes, ctx)
    }
}

/// How task code reads templates: errors become sentences naming the task, the template, and for a field the
/// document lacks, the data file's line and the field.
public enum Template {
    public static func render(_ template: String, _ doc: Document, task: String) throws -> String {
        try run(template, doc, task: task) { try $0.render(doc) }
    }

    /// lm-eval's doc_to_* reading: a bare field name gives the field's value; a template that is one expression
    /// gives the expression's value; any other template gives its text.
    public static func value(_ template: String, _ doc: Document, task: String) throws -> Any {
        if !template.contains("{"), let v = doc.fields[template] { return v.stencilValue }
        return try run(template, doc, task: task) { try $0.value(doc) }
    }

    /// The value as a list of strings (choices, references): a list's items, or one string.
    public static func list(_ template: String, _ doc: Document, task: String) throws -> [String] {
        let v = try value(template, doc, task: task)
        if let l = v as? [Any] { return l.map(PythonFilters.str) }
        return [PythonFilters.str(v)]
    }

    /// Checks that `template` is in the supported subset, naming `file` and `key` (e.g. doc_to_text) when it is not.
    public static func check(_ template: String, file: String, key: String) throws {
        do { _ = try CompiledTemplate.compile(template) } catch let e as JinjaError {
            throw EvalError.unsupportedTemplate(file: file, key: key, template: template, construct: e.construct)
        } catch {
            throw EvalError.unsupportedTemplate(file: file, key: key, template: template, construct: "\(error)")
        }
    }

    static func run<T>(
        _ template: String, _ doc: Document, task: String, _ body: (CompiledTemplate) throws -> T
    ) throws -> T {
        let t: CompiledTemplate
        do { t = try CompiledTemplate.compile(template) } catch let e as JinjaError {
            throw EvalError.badTemplate(
                task: task, template: template, reason: "uses \(e.construct), which is not supported")
        }
        do { return try body(t) } catch is UndefinedValue {
            if let missing = t.fieldPaths.first(where: { doc.value(at: $0) == nil }) {
                throw EvalError.missingDocumentField(
                    task: task, file: doc.file, line: doc.index + 1, field: missing, template: template)
            }
            throw EvalError.badTemplate(
                task: task, template: template,
                reason: "reads a value that document \(doc.index) (line \(doc.index + 1)) lacks")
        } catch let e as PythonValueError {
            throw EvalError.badTemplate(
                task: task, template: template,
                reason: "fails on document \(doc.index) (line \(doc.index + 1)): \(e.reason)")
        }
    }

    /// lm-eval hellaswag/utils.py `preprocess`: strip, " [title]" → ". ", drop "[…]", collapse double spaces.
    /// (tasks/hellaswag.json writes the same steps as template filters.)
    public static func hellaswagPreprocess(_ text: String) -> String {
        var t = text.trimmingCharacters(in: .whitespaces)
        t = t.replacingOccurrences(of: " [title]", with: ". ")
        t = t.replacingOccurrences(of: "\\[.*?\\]", with: "", options: .regularExpression)
        return t.replacingOccurrences(of: "  ", with: " ")
    }
}
