import Basics
import Foundation
import GRDB

/// A tidy CSV table: one observation per row, one variable per column, each column described for README.md.
public struct ExportTable {
    public let name: String
    public let about: String
    /// (column, what it holds)
    public let columns: [(String, String)]
    public var rows: [[String]]
    public init(_ name: String, _ about: String, columns: [(String, String)], rows: [[String]] = []) {
        self.name = name; self.about = about; self.columns = columns; self.rows = rows
    }
}

/// `lisa export`: a run's tables as tidy CSV files with a README of their columns, or one JSON file. The tables
/// here are the store's own (samples, raw results, plots, evaluation runs and documents); Studies adds the tables
/// read out of the typed analysis results.
public enum RunExport {
    public enum Format { case csv, json }

    /// The store-level tables of a study run: its samples, every result as JSON, its plots, and the evaluation runs
    /// (sensitivity units) tied to it with their documents.
    public static func storeTables(store: LisaStore, runId: Int64) throws -> [ExportTable] {
        _ = try store.run(id: runId)
        let samples = try store.dbQueue.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT rs.ordinal, rs.task, s.id, s.recordIndex, s.nTokens, rs.seconds, d.file FROM runSamples rs
                    JOIN samples s ON s.id = rs.sampleId JOIN datasets d ON d.id = s.datasetId
                    WHERE rs.runId = ? ORDER BY rs.ordinal
                    """, arguments: [runId])
        }
        var t = ExportTable(
            "samples", "The run's captured inputs, in capture order.",
            columns: [
                ("run_id", "study run (runs.id)"), ("ordinal", "position in the run (0-based)"), ("task", "task name"),
                ("sample_id", "samples.id, the key of per-sample results"), ("file", "data file the record is from"),
                ("record_index", "0-based line of the record in its data file"),
                ("n_tokens", "prompt tokens, BOS included"),
                ("seconds", "capture time of the sample"),
            ])
        t.rows = samples.map { r in
            [
                "\(runId)", "\(r[0] as Int)", r[1] as String, "\(r[2] as Int64)", r[6] as String, "\(r[3] as Int)",
                "\(r[4] as Int)", num(r[5] as Double),
            ]
        }
        var res = ExportTable(
            "results", "Every stored result as its JSON value (the typed tables unpack them).",
            columns: [
                ("run_id", "study run"), ("task", "task name (_model, _machine: run-wide facts)"),
                ("kind", "result kind (s1, s2, …)"),
                ("sample_id", "samples.id for a per-sample result, 0 for one over the task's samples"),
                ("value_json", "the JSON value"),
            ])
        res.rows = try store.results(runId: runId).map { ["\(runId)", $0.task, $0.kind, "\($0.sampleId)", $0.value] }
        var plots = ExportTable(
            "plots", "Figures drawn from the run.",
            columns: [
                ("run_id", "study run"), ("kind", "plot kind"), ("path", "file written"),
            ])
        plots.rows = try store.plots(runId: runId).map { ["\(runId)", $0.kind, $0.path] }
        return [t, res, plots] + (try evalTables(store: store, runs: store.evalRuns(studyRunId: runId)))
    }

    /// Evaluation runs (`lisa eval --db` or a sensitivity study's units), their documents and log-likelihoods.
    public static func evalTables(store: LisaStore, runs: [EvalRunRecord]) throws -> [ExportTable] {
        guard !runs.isEmpty else { return [] }
        var r = ExportTable(
            "eval_runs", "Evaluation runs, one row per (run, metric).",
            columns: [
                ("eval_run_id", "evalRuns.id"),
                ("study_run_id", "the study run it belongs to (empty for a plain lisa eval)"),
                ("unit", "the study's configuration, e.g. \"ds 3–4\" (empty for a plain lisa eval)"),
                ("task", "task name"),
                ("shots", "few-shot exemplars"), ("seed", "seed of the document sample and exemplars"),
                ("doc_limit", "--limit (empty: every document)"), ("policies_json", "0-based layer → attention policy"),
                ("status", "running or finished"), ("n", "documents scored"),
                ("primary_metric", "the task's primary metric"),
                ("metric", "metric name"), ("value", "metric value over the documents"),
                ("stderr", "lm-eval mean_stderr of the metric"), ("seconds", "wall time"), ("tokens", "tokens run"),
                ("copied_from", "the identical finished run whose documents it copied (empty: scored itself)"),
            ])
        var d = ExportTable(
            "eval_documents", "Scored documents, one row per (document, metric).",
            columns: [
                ("eval_run_id", "evalRuns.id"), ("ordinal", "position in the run's seeded order (0-based)"),
                ("doc_index", "0-based line of the document in the task's data file"),
                ("gold", "index of the correct choice (empty for generation tasks)"),
                ("prediction", "chosen index or generated text"),
                ("metric", "metric name"), ("score", "this document's score"), ("seconds", "scoring time"),
                ("tokens", "tokens run"),
            ])
        var ll = ExportTable(
            "eval_loglikelihoods", "Summed log-likelihood of each choice's continuation (nats).",
            columns: [
                ("eval_run_id", "evalRuns.id"), ("doc_index", "0-based line of the document"),
                ("choice", "0-based choice"),
                ("log_likelihood", "summed continuation log-likelihood"), ("is_gold", "1 for the correct choice"),
            ])
        for run in runs {
            let id = run.id!
            let metrics = decode([String: Double].self, run.metrics) ?? [:]
            let errs = decode([String: Double].self, run.stderr) ?? [:]
            for m in metrics.keys.sorted() {
                r.rows.append([
                    "\(id)", run.studyRunId.map { "\($0)" } ?? "", run.unit ?? "", run.task, "\(run.shots)",
                    "\(UInt64(bitPattern: run.seed))", run.docLimit.map { "\($0)" } ?? "", run.policies,
                    run.status.rawValue, "\(run.n)", run.primaryMetric, m, num(metrics[m]!),
                    errs[m].map(num) ?? "", num(run.seconds), "\(run.tokens)", run.copiedFrom.map { "\($0)" } ?? "",
                ])
            }
            for doc in try store.evalDocuments(runId: id) {
                let scores = decode([String: Double].self, doc.scores) ?? [:]
                for m in scores.keys.sorted() {
                    d.rows.append([
                        "\(id)", "\(doc.ordinal)", "\(doc.docIndex)", doc.gold.map { "\($0)" } ?? "",
                        doc.prediction ?? "", m, num(scores[m]!), num(doc.seconds), "\(doc.tokens)",
                    ])
                }
                for (c, x) in (doc.logLikelihoods.flatMap { decode([Double].self, $0) } ?? []).enumerated() {
                    ll.rows.append([
                        "\(id)", "\(doc.docIndex)", "\(c)", num(x), doc.gold.map { $0 == c ? "1" : "0" } ?? "",
                    ])
                }
            }
        }
        return [r, d] + (ll.rows.isEmpty ? [] : [ll])
    }

    /// Writes each table as `<name>.csv` and README.md describing every column; returns the files written.
    @discardableResult
    public static func writeCSV(_ tables: [ExportTable], title: String, to dir: URL) throws -> [URL] {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var files: [URL] = []
        var readme =
            "# \(title)\n\nTidy CSV (RFC 4180, UTF-8, header row; one observation per row). Layers and heads are "
            + "0-based; JSD in nats. Load with pandas: `pd.read_csv(\"s1.csv\")`.\n"
        for t in tables {
            let u = dir.appendingPathComponent("\(t.name).csv")
            try writeAtomically(Data(csvText([t.columns.map(\.0)] + t.rows).utf8), to: u.path)
            files.append(u)
            readme += "\n## \(t.name).csv (\(t.rows.count) rows)\n\n\(t.about)\n\n| column | meaning |\n|---|---|\n"
            for (c, what) in t.columns { readme += "| `\(c)` | \(what) |\n" }
        }
        let u = dir.appendingPathComponent("README.md")
        try writeAtomically(Data(readme.utf8), to: u.path)
        return files + [u]
    }

    /// The store-level tables as CSV, or the run as one JSON file.
    @discardableResult
    public static func write(store: LisaStore, runId: Int64, format: Format, to dir: URL) throws -> [URL] {
        switch format {
        case .csv:
            return try writeCSV(storeTables(store: store, runId: runId), title: "Run \(runId)", to: dir)
        case .json:
            return [try writeJSON(store: store, runId: runId, to: dir)]
        }
    }

    static func writeJSON(store: LisaStore, runId: Int64, to dir: URL) throws -> URL {
        let run = try store.run(id: runId)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let tables = try storeTables(store: store, runId: runId)
        func json(_ s: String) -> Any {
            (try? JSONSerialization.jsonObject(with: Data(s.utf8), options: [.fragmentsAllowed])) ?? s
        }
        let results =
            tables.first { $0.name == "results" }?.rows.map {
                ["task": $0[1], "kind": $0[2], "sample_id": Int64($0[3]) ?? 0, "value": json($0[4])] as [String: Any]
            } ?? []
        let obj: [String: Any] = [
            "run": [
                "id": runId, "study": run.study, "status": run.status.rawValue, "seed": run.seed,
                "parameters": json(run.parameters), "tool_version": run.toolVersion,
                "capture_seconds": run.captureSeconds, "tokens": run.tokens,
            ],
            "samples": (tables.first { $0.name == "samples" }?.rows ?? []).map {
                [
                    "ordinal": Int($0[1]) ?? 0, "task": $0[2], "record_index": Int($0[5]) ?? 0,
                    "n_tokens": Int($0[6]) ?? 0,
                    "seconds": Double($0[7]) ?? 0,
                ] as [String: Any]
            },
            "results": results,
            "plots": (tables.first { $0.name == "plots" }?.rows ?? []).map { ["kind": $0[1], "path": $0[2]] },
        ]
        let u = dir.appendingPathComponent("run\(runId).json")
        try writeAtomically(CanonicalJSON.objectData(obj, pretty: true), to: u.path)
        return u
    }

    /// Metrics and scores as the evaluation recorder encodes them (NaN and infinities as strings).
    static func decode<T: Decodable>(_ t: T.Type, _ s: String) -> T? {
        let d = CanonicalJSON.decoder()
        return try? d.decode(t, from: Data(s.utf8))
    }

    /// Shortest text that reads back as the same Double.
    public static func num(_ x: Double) -> String { x.isFinite ? "\(x)" : (x.isNaN ? "nan" : (x > 0 ? "inf" : "-inf")) }

    /// RFC 4180: a field is quoted when it holds a comma, quote, CR or LF; rows end in LF.
    public static func csvText(_ rows: [[String]]) -> String {
        func field(_ s: String) -> String {
            s.unicodeScalars.contains { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }
                ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
        }
        return rows.map { $0.map(field).joined(separator: ",") }.joined(separator: "\n") + "\n"
    }
}
