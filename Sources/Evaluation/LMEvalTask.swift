import Basics
import Datasets
import Models
import Foundation
import Yams

/// An lm-evaluation-harness task YAML read as a `TaskSpec` (issue 19), for the subset that needs no Python:
/// `task`, `include`, `dataset_path`/`dataset_name`/`*_split` (mapped to a local JSONL, `LMEvalDatasets`),
/// `output_type` (multiple_choice, loglikelihood, generate_until), `doc_to_text`/`doc_to_target`/`doc_to_choice`
/// (Jinja templates, bare field names, lists, integers), `description`, `target_delimiter`, `fewshot_delimiter`,
/// `num_fewshot`, `metric_list` (acc, acc_norm, exact_match with its options, perplexity), `generation_kwargs`
/// (until, max_gen_toks, greedy only) and `filter_list` (regex, take_first, remove_whitespace, lowercase, uppercase).
/// A `!function` (Python) is refused, except a `process_docs` whose work the dataset map does in templates.
public struct LMEvalTask: Sendable {
    public let spec: TaskSpec
    public let path: String
    /// dataset_path and dataset_name ("allenai/ai2_arc", "ARC-Easy"), and the split lm-eval would evaluate.
    public let datasetPath: String
    public let datasetName: String?
    public let split: String
    /// `process_docs: !function …`, when given.
    public let processDocs: String?

    /// Keys that change nothing in the prompts or scores lisa computes.
    static let ignoredKeys: Set<String> = [
        "tag", "group", "training_split", "fewshot_split", "should_decontaminate", "doc_to_decontamination_query",
        "metadata",
        "dataset_kwargs", "unsafe_code", "test_split", "validation_split", "dataset_path", "dataset_name",
    ]

    public static func load(path: String) throws -> LMEvalTask {
        let map = try readMerged(path: path, depth: 0)
        func fail(_ reason: String) -> EvalError { .badLMEvalYAML(path: path, reason: reason) }
        func string(_ key: String) throws -> String? {
            switch map[key] {
            case nil, .null?: return nil
            case .string(let s)?: return s
            case .int(let i)?: return String(i)
            case .function(let f)?: throw fail("\(key) is the Python function !function \(f), which lisa cannot run")
            default: throw fail("\(key) should be a string")
            }
        }
        func int(_ key: String) throws -> Int? {
            switch map[key] {
            case nil, .null?: return nil
            case .int(let i)?: return i
            default: throw fail("\(key) should be an integer")
            }
        }
        for key in map.keys.sorted() where !ignoredKeys.contains(key) && !handledKeys.contains(key) {
            throw fail("the key \(key) is not supported (lisa reads: \(handledKeys.sorted().joined(separator: ", ")))")
        }
        guard let name = try string("task") else { throw fail("it has no task name (task:)") }
        guard let datasetPath = try string("dataset_path") else { throw fail("it has no dataset_path") }
        let outputType: TaskSpec.OutputType
        switch try string("output_type") ?? "generate_until" {
        case "multiple_choice": outputType = .multipleChoice
        case "loglikelihood": outputType = .loglikelihood
        case "generate_until": outputType = .generateUntil
        case let other:
            throw fail("output_type \(other) is not supported (multiple_choice, loglikelihood, generate_until)")
        }
        var processDocs: String?
        if let p = map["process_docs"] {
            guard case .function(let f) = p else { throw fail("process_docs should be a !function") }
            processDocs = f
        }
        func template(_ key: String) throws -> String? {
            switch map[key] {
            case nil, .null?: return nil
            case .string(let s)?: return s
            case .int(let i)?: return "{{\(i)}}"
            case .function(let f)?: throw fail("\(key) is the Python function !function \(f), which lisa cannot run")
            case .list?, .map?, .bool?: throw fail("\(key) should be a template string")
            }
        }
        let text = try template("doc_to_text") ?? "", target = try template("doc_to_target") ?? ""
        var choices: TaskSpec.Choices?
        switch map["doc_to_choice"] {
        case nil, .null?: break
        case .string(let s)?: choices = .template(s)
        case .list(let items)?:
            choices = .list(
                try items.map {
                    switch $0 {
                    case .string(let s): return s
                    case .int(let i): return String(i)
                    default: throw fail("doc_to_choice should list strings")
                    }
                })
        case .map(let pairs)?:
            choices = .list(
                try pairs.map { pair -> String in  // lm-eval: list(doc_to_choice.values())
                    guard case .string(let s) = pair.1 else { throw fail("doc_to_choice should map to strings") }
                    return s
                })
        case .function(let f)?: throw fail("doc_to_choice is the Python function !function \(f), which lisa cannot run")
        default: throw fail("doc_to_choice should be a template or a list")
        }
        var spec = TaskSpec(
            name: name, source: "lm-eval YAML \(path)", dataFile: "", outputType: outputType,
            docToText: text)
        spec.docToTarget = target
        spec.docToChoice = choices
        spec.description = try string("description") ?? ""
        spec.targetDelimiter = try string("target_delimiter") ?? " "
        spec.fewshotDelimiter = try string("fewshot_delimiter") ?? "\n\n"
        spec.defaultShots = try int("num_fewshot") ?? 0
        try readMetrics(map["metric_list"], into: &spec, fail: fail)
        try readGeneration(map["generation_kwargs"], into: &spec, fail: fail)
        if let f = map["filter_list"] { spec.filters = try readFilters(f, fail: fail) }
        if outputType == .generateUntil, spec.filters == nil {
            spec.filters = [OutputFilter(name: "none", steps: [.takeFirst])]  // lm-eval's default pipeline
        }
        // lm-eval evaluates the test split when there is one, else the validation split.
        let split = try string("test_split") ?? string("validation_split") ?? "test"
        return LMEvalTask(
            spec: spec, path: path, datasetPath: datasetPath, datasetName: try string("dataset_name"), split: split,
            processDocs: processDocs)
    }

    static let handledKeys: Set<String> = [
        "task", "include", "output_type", "process_docs", "doc_to_text", "doc_to_target", "doc_to_choice",
        "description",
        "target_delimiter", "fewshot_delimiter", "num_fewshot", "metric_list", "generation_kwargs", "filter_list",
    ]

    // MARK: YAML

    indirect enum Value: Equatable {
        case string(String), int(Int), bool(Bool), null, function(String)
        case list([Value])
        case map([(String, Value)])

        static func == (a: Value, b: Value) -> Bool { "\(a)" == "\(b)" }

        subscript(key: String) -> Value? {
            guard case .map(let pairs) = self else { return nil }
            return pairs.first { $0.0 == key }?.1
        }
    }

    /// The file's keys, with an `include`d file's keys underneath (lm-eval: the including file wins).
    static func readMerged(path: String, depth: Int) throws -> [String: Value] {
        guard depth < 8 else {
            throw EvalError.badLMEvalYAML(path: path, reason: "include nests more than 8 files deep")
        }
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw EvalError.badLMEvalYAML(path: path, reason: "it cannot be read: \(FileProblem.reading(path, error))")
        }
        let node: Node?
        do { node = try Yams.compose(yaml: text) } catch {
            throw EvalError.badLMEvalYAML(path: path, reason: "it is not valid YAML (\(error))")
        }
        guard let node, case .map(let pairs) = convert(node) else {
            throw EvalError.badLMEvalYAML(path: path, reason: "the top level should be a mapping of keys")
        }
        var map: [String: Value] = [:]
        if case .string(let inc)? = pairs.first(where: { $0.0 == "include" })?.1 {
            let base = URL(fileURLWithPath: path).deletingLastPathComponent()
            map = try readMerged(path: base.appendingPathComponent(inc).path, depth: depth + 1)
        }
        for (k, v) in pairs where k != "include" { map[k] = v }
        return map
    }

    static func convert(_ node: Node) -> Value {
        switch node {
        case .scalar(let s):
            let tag = node.tag.rawValue
            if tag == "!function" { return .function(s.string) }
            if s.style == .plain {
                if tag.hasSuffix(":null") { return .null }
                if tag.hasSuffix(":bool"), let b = node.bool { return .bool(b) }
                if tag.hasSuffix(":int"), let i = node.int { return .int(i) }
            }
            return .string(s.string)
        case .sequence(let seq): return .list(seq.map(convert))
        case .mapping(let m): return .map(m.map { (($0.key.string ?? "\($0.key)"), convert($0.value)) })
        case .alias: return .null
        }
    }

    static func readMetrics(_ v: Value?, into spec: inout TaskSpec, fail: (String) -> EvalError) throws {
        let known = spec.metricNames
        guard let v else { spec.primaryMetric = known.first ?? "acc"; return }
        guard case .list(let items) = v else { throw fail("metric_list should be a list") }
        var names: [String] = []
        for item in items {
            guard case .string(let m)? = item["metric"] else { throw fail("each metric_list entry needs metric:") }
            if case .function = item["metric"] ?? .null { throw fail("metric_list uses a Python function") }
            guard known.contains(m) || (m == "exact_match" && spec.outputType == .generateUntil) else {
                throw fail(
                    "the metric \(m) is not supported for \(spec.outputType.rawValue) "
                        + "(\(known.joined(separator: ", ")))"
                )
            }
            if case .bool(let b)? = item["ignore_case"] { spec.ignoreCase = b }
            if case .bool(let b)? = item["ignore_punctuation"] { spec.ignorePunctuation = b }
            if case .list(let rs)? = item["regexes_to_ignore"] {
                spec.regexesToIgnore = try rs.map {
                    guard case .string(let s) = $0 else { throw fail("regexes_to_ignore should list strings") }
                    return s
                }
            }
            names.append(m)
        }
        // The workbench's primary metric (FIGURES.md C8 takes acc_norm where lm-eval reports it).
        spec.primaryMetric = names.contains("acc_norm") ? "acc_norm" : names.first ?? known.first ?? "acc"
    }

    static func readGeneration(_ v: Value?, into spec: inout TaskSpec, fail: (String) -> EvalError) throws {
        guard let v else { return }
        guard case .map(let pairs) = v else { throw fail("generation_kwargs should be a mapping") }
        for (k, value) in pairs {
            switch (k, value) {
            case ("until", .list(let l)):
                spec.until = try l.map {
                    guard case .string(let s) = $0 else { throw fail("generation_kwargs.until should list strings") }
                    return s
                }
            case ("until", .string(let s)): spec.until = [s]
            case ("max_gen_toks", .int(let n)): spec.maxTokens = n
            case ("do_sample", .bool(false)), ("temperature", .int(0)), ("temperature", .string("0.0")): continue
            case ("do_sample", _), ("temperature", _):
                throw fail("generation_kwargs.\(k) asks for sampling; lisa decodes greedily only")
            default:
                throw fail(
                    "generation_kwargs.\(k) is not supported (until, max_gen_toks, do_sample: false, temperature: 0)")
            }
        }
    }

    static func readFilters(_ v: Value, fail: (String) -> EvalError) throws -> [OutputFilter] {
        guard case .list(let items) = v else { throw fail("filter_list should be a list") }
        return try items.map { item in
            guard case .string(let name)? = item["name"], case .list(let steps)? = item["filter"] else {
                throw fail("each filter_list entry needs name: and filter:")
            }
            return OutputFilter(
                name: name,
                steps: try steps.map { step in
                    guard case .string(let f)? = step["function"] else {
                        throw fail("each filter step needs function:")
                    }
                    switch f {
                    case "regex":
                        var pattern = #"#### (\-?[0-9\.\,]+)"#, group = 0, fallback = "[invalid]"
                        if case .string(let p)? = step["regex_pattern"] { pattern = p }
                        if case .int(let g)? = step["group_select"] { group = g }
                        if case .string(let fb)? = step["fallback"] { fallback = fb }
                        return .regex(pattern: pattern, groupSelect: group, fallback: fallback)
                    case "take_first": return .takeFirst
                    case "remove_whitespace": return .removeWhitespace
                    case "lowercase": return .lowercase
                    case "uppercase": return .uppercase
                    default:
                        throw fail(
                            "the filter function \(f) (in \(name)) is not supported (regex, take_first, "
                                + "remove_whitespace, lowercase, uppercase)"
                        )
                    }
                })
        }
    }
}
