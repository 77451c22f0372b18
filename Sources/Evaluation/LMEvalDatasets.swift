import Basics
import Datasets
import Models
import Foundation

/// Where an lm-eval YAML's `dataset_path`/`dataset_name` are read from here (no Hugging Face download), in this order:
/// 1. `--data FILE.jsonl`: that file, its records as the YAML expects them (the Hugging Face layout);
/// 2. `<data>/<dataset_path>/<dataset_name>/<split>.jsonl` (or without the name folder), in the same layout;
/// 3. an entry of `tasks/lm-eval/datasets.json` naming a built-in task whose data file and declared fields are used,
///    with a `view` that rebuilds the Hugging Face fields from ours (templates per field, e.g. ARC's
///    `choices: {text, label}` from our `choices` and `labels`) and, where lm-eval calls Python `process_docs`,
///    the same work written as templates (`processDocs` names the function the view stands in for).
public enum LMEvalDatasets {
    struct Entry: Decodable {
        var task: String
        var view: [String: JSONValue]?
        var processDocs: String?
    }

    /// The evaluation task of an lm-eval YAML: its spec (with the pool settings of the mapped built-in task, FIGURES.md
    /// C8) and its documents.
    public static func evalTask(
        _ y: LMEvalTask, data: String?, tasks folder: () throws -> TasksFolder
    ) throws -> EvalTask {
        var isDir: ObjCBool = false
        if let data, FileManager.default.fileExists(atPath: data, isDirectory: &isDir), !isDir.boolValue {
            return try direct(y, file: URL(fileURLWithPath: data))
        }
        let dir = DataDirectory(path: data)
        let candidates = [[y.datasetPath, y.datasetName, "\(y.split).jsonl"], [y.datasetPath, "\(y.split).jsonl"]]
            .map { $0.compactMap { $0 }.joined(separator: "/") }
        if let found = candidates.map({ dir.url.appendingPathComponent($0) }).first(where: {
            FileManager.default.fileExists(atPath: $0.path)
        }) {
            return try direct(y, file: found)
        }
        let tasks = try folder()
        let mapPath = tasks.url.appendingPathComponent("lm-eval/datasets.json").path
        let entries = try readMap(mapPath)
        let key = [y.datasetPath, y.datasetName].compactMap { $0 }.joined(separator: " ")
        guard let entry = entries[key] ?? entries[y.datasetPath] else {
            throw EvalError.badLMEvalYAML(
                path: y.path,
                reason: "no local data for dataset_path \(y.datasetPath)"
                    + (y.datasetName.map { " dataset_name \($0)" } ?? "") + ": give --data FILE.jsonl, put the file at "
                    + "\(dir.url.appendingPathComponent(candidates[0]).path), or add an entry "
                    + "\(key.debugDescription) to \(mapPath)"
            )
        }
        if y.processDocs != entry.processDocs, let f = y.processDocs {
            throw EvalError.badLMEvalYAML(
                path: y.path,
                reason: "process_docs is the Python function !function \(f), which lisa cannot run "
                    + "(the entry \(key.debugDescription) of \(mapPath) does not stand in for it)")
        }
        let base = try tasks.spec(entry.task)
        var spec = y.spec
        spec.dataFile = base.dataFile
        spec.pool = base.pool; spec.poolSize = base.poolSize; spec.poolFile = base.poolFile
        let records = try view(
            Document.load(url: try dir.file(base.dataFile), schema: base.schema), entry.view, task: spec.name)
        let pool: [Document]
        switch spec.pool {
        case .head: pool = Array(records.prefix(spec.poolSize))
        case .mmluDev:
            pool = try view(
                Document.load(url: try dir.file(spec.poolFile), schema: base.schema), entry.view, task: spec.name)
        case .gsm8kCoT: pool = Document.gsm8kExemplars
        }
        return EvalTask(spec: spec, records: records, pool: pool)
    }

    static func direct(_ y: LMEvalTask, file: URL) throws -> EvalTask {
        if let f = y.processDocs {
            throw EvalError.badLMEvalYAML(
                path: y.path,
                reason: "process_docs is the Python function !function \(f), which lisa cannot "
                    + "run on \(file.path) (a tasks/lm-eval/datasets.json entry can do its work in templates)")
        }
        var spec = y.spec
        spec.dataFile = file.path
        let records = try Document.load(url: file, schema: nil)
        return EvalTask(spec: spec, records: records, pool: Array(records.prefix(spec.poolSize)))
    }

    static func readMap(_ path: String) throws -> [String: Entry] {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw EvalError.badTaskFile(path: path, reason: "it cannot be read: \(FileProblem.reading(path, error))")
        }
        do { return try JSONDecoder().decode([String: Entry].self, from: data) } catch let e as DecodingError {
            throw EvalError.badTaskFile(path: path, reason: decodingReason(e))
        }
    }

    /// The documents with the view's fields added (or replacing ours).
    static func view(_ docs: [Document], _ view: [String: JSONValue]?, task: String) throws -> [Document] {
        guard let view, !view.isEmpty else { return docs }
        return try docs.map { d in
            var f = d.fields
            for (k, v) in view { f[k] = try evaluate(v, d, task: task) }
            return Document(index: d.index, fields: f, file: d.file)
        }
    }

    /// A view value: a string is a template (its value kept as a list, an integer, …), lists and objects recursively.
    static func evaluate(_ v: JSONValue, _ d: Document, task: String) throws -> JSONValue {
        switch v {
        case .text(let t): return json(try Template.value(t, d, task: task))
        case .list(let l): return .list(try l.map { try evaluate($0, d, task: task) })
        case .object(let o): return .object(try o.mapValues { try evaluate($0, d, task: task) })
        default: return v
        }
    }

    static func json(_ v: Any) -> JSONValue {
        switch v {
        case let s as String: return .text(s)
        case let b as Bool: return .bool(b)
        case let i as Int: return .number(i)
        case let d as Double: return .real(d)
        case let f as Float: return .real(Double(f))
        case let l as [Any]: return .list(l.map(json))
        case let o as [String: Any]: return .object(o.mapValues(json))
        default: return .null
        }
    }
}

extension EvalTask {
    /// The task of `--task-file`: an lm-eval YAML (`.yaml`/`.yml`, `LMEvalTask`) or a task JSON in the tasks/ format.
    /// `tasks` finds the tasks folder (read only for a YAML mapped through tasks/lm-eval/datasets.json).
    public static func load(taskFile: String, data: String?, tasks: () throws -> TasksFolder) throws -> EvalTask {
        let lower = taskFile.lowercased()
        if lower.hasSuffix(".yaml") || lower.hasSuffix(".yml") {
            let y = try LMEvalTask.load(path: taskFile)
            try y.spec.validate(path: taskFile, lmEvalKeys: true)
            return try LMEvalDatasets.evalTask(y, data: data, tasks: tasks)
        }
        return try EvalTask(spec: TaskSpec.load(path: taskFile), data: DataDirectory(path: data))
    }
}
