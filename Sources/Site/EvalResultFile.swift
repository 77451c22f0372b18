import Basics
import Foundation
import Store

/// A `lisa eval --out` result file committed in a report folder (aggregate and every document). Decoded leniently:
/// only task, n and metrics are required, so a JSON that is something else (a sharing config) is not one.
struct EvalResultFile: Decodable {
    struct Document: Decodable {
        var index: Int
        var gold: Int?
        var prediction: String?
        var logLikelihoods: [Double]?
        var scores: [String: Double]
    }

    var task: String
    var n: Int
    var metrics: [String: Double]
    var shots: Int?
    var seed: UInt64?
    var primaryMetric: String?
    var standardErrors: [String: Double]?
    var seconds: Double?
    var tokensRun: Int?
    var documents: [Document]?

    /// The file's result, or nil when the JSON is not an evaluation result.
    static func read(_ url: URL) -> EvalResultFile? {
        guard let data = try? Data(contentsOf: url) else { return nil }
        return try? CanonicalJSON.decoder().decode(EvalResultFile.self, from: data)
    }
}

/// Tidy CSV tables (one observation per row) of a report folder's evaluation results, keyed by the result file's
/// path inside the folder (`run`).
enum EvalCSV {
    static let runsHeader = [
        "run", "task", "shots", "seed", "n", "primary_metric", "metric", "value", "stderr",
        "seconds", "tokens",
    ]

    static func runs(_ files: [(run: String, result: EvalResultFile)]) -> String {
        var rows = [runsHeader]
        for (run, r) in files {
            for m in r.metrics.keys.sorted() {
                rows.append([
                    run, r.task, opt(r.shots), opt(r.seed), "\(r.n)", r.primaryMetric ?? "", m,
                    number(r.metrics[m]!), r.standardErrors?[m].map(number) ?? "", r.seconds.map(number) ?? "",
                    opt(r.tokensRun),
                ])
            }
        }
        return RunExport.csvText(rows)
    }

    /// One row per (document, metric): the document's score under that metric.
    static func documents(_ files: [(run: String, result: EvalResultFile)]) -> String {
        var rows = [["run", "ordinal", "doc_index", "gold", "prediction", "metric", "score"]]
        for (run, r) in files {
            for (k, d) in (r.documents ?? []).enumerated() {
                for m in d.scores.keys.sorted() {
                    rows.append([run, "\(k)", "\(d.index)", opt(d.gold), d.prediction ?? "", m, number(d.scores[m]!)])
                }
            }
        }
        return RunExport.csvText(rows)
    }

    /// One row per (document, choice) of log-likelihood tasks.
    static func logLikelihoods(_ files: [(run: String, result: EvalResultFile)]) -> String? {
        var rows = [["run", "doc_index", "choice", "log_likelihood", "gold"]]
        for (run, r) in files {
            for d in r.documents ?? [] {
                for (c, ll) in (d.logLikelihoods ?? []).enumerated() {
                    rows.append([run, "\(d.index)", "\(c)", number(ll), d.gold.map { $0 == c ? "1" : "0" } ?? ""])
                }
            }
        }
        return rows.count > 1 ? RunExport.csvText(rows) : nil
    }

    static func opt<T>(_ v: T?) -> String { v.map { "\($0)" } ?? "" }
    static func number(_ x: Double) -> String { RunExport.num(x) }
}
