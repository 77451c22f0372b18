import Foundation
import GGUF
import GRDB

/// `lisa export`: a run's samples, results and plots as CSV files or one JSON file.
public enum RunExport {
    public enum Format { case csv, json }

    /// Writes the export into `dir` and returns the files written.
    @discardableResult
    public static func write(store: LisaStore, runId: Int64, format: Format, to dir: URL) throws -> [URL] {
        let run = try store.run(id: runId)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let (samples, results) = try store.dbQueue.read { db -> ([Row], [ResultRecord]) in
            let s = try Row.fetchAll(db, sql: """
                SELECT rs.ordinal, rs.task, s.recordIndex, s.nTokens, rs.seconds FROM runSamples rs
                JOIN samples s ON s.id = rs.sampleId WHERE rs.runId = ? ORDER BY rs.ordinal
                """, arguments: [runId])
            return (s, try ResultRecord.filter(Column("runId") == runId).order(Column("task"), Column("kind")).fetchAll(db))
        }
        let plots = try store.plots(runId: runId)
        switch format {
        case .csv:
            func quote(_ s: String) -> String { "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
            var s = "ordinal,task,record_index,n_tokens,seconds\n"
            for r in samples { s += "\(r[0] as Int),\(r[1] as String),\(r[2] as Int),\(r[3] as Int),\(r[4] as Double)\n" }
            var res = "task,kind,sample_id,value_json\n"
            for r in results { res += "\(r.task),\(r.kind),\(r.sampleId),\(quote(r.value))\n" }
            var pl = "kind,path\n"
            for p in plots { pl += "\(p.kind),\(quote(p.path))\n" }
            let files = [("run\(runId)_samples.csv", s), ("run\(runId)_results.csv", res), ("run\(runId)_plots.csv", pl)]
            return try files.map { name, text in
                let u = dir.appendingPathComponent(name)
                try text.write(to: u, atomically: true, encoding: .utf8)
                return u
            }
        case .json:
            let obj: [String: Any] = [
                "run": ["id": runId, "study": run.study, "status": run.status.rawValue, "seed": run.seed,
                        "parameters": (try? JSONSerialization.jsonObject(with: Data(run.parameters.utf8))) ?? run.parameters,
                        "tool_version": run.toolVersion, "capture_seconds": run.captureSeconds, "tokens": run.tokens],
                "samples": samples.map { ["ordinal": $0[0] as Int, "task": $0[1] as String, "record_index": $0[2] as Int,
                                          "n_tokens": $0[3] as Int, "seconds": $0[4] as Double] },
                "results": results.map { ["task": $0.task, "kind": $0.kind, "sample_id": $0.sampleId,
                                          "value": (try? JSONSerialization.jsonObject(with: Data($0.value.utf8))) ?? $0.value] },
                "plots": plots.map { ["kind": $0.kind, "path": $0.path] },
            ]
            let u = dir.appendingPathComponent("run\(runId).json")
            try writeAtomically(JSONSerialization.data(withJSONObject: obj, options: [.prettyPrinted, .sortedKeys]), to: u.path)
            return [u]
        }
    }
}
