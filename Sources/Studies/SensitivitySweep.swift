import Evaluation
import Foundation
import Models
import Store

/// `lisa sensitivity` as one call: one task's DS and uniform sweep over the layer pairs 3–4, 5–6, … (Figs 6, 9),
/// run as a one-task sensitivity study — stored in a database (resumable, shardable), or, without one, in a
/// temporary database removed afterwards. One implementation of the sweep for the command and the studies.
public struct SensitivitySweepRequest {
    public var modelPath: String
    public var task: String
    public var shots: Int?
    /// Documents per configuration (nil: all the task can evaluate).
    public var limit: Int?
    public var seed: UInt64
    /// Default: the task's primary metric.
    public var metric: String?
    public var dataDir: String?
    public var threads: Int
    public var batch = 8
    /// Store the study here; nil: a temporary database.
    public var database: String?
    public var resume = false
    public var shard: Shard?
    public var reportsDir = "reports"
    /// Without a database: how to load the model (the command's weight, K/V and product options).
    public var loadModel: ((String, Int) throws -> LoadedModel)?

    public init(modelPath: String, task: String, seed: UInt64, threads: Int) {
        self.modelPath = modelPath; self.task = task; self.seed = seed; self.threads = threads
    }
}

public enum SensitivitySweep {
    /// The sweep (nil for a shard, whose configurations wait for `lisa merge`) and what the run did.
    public static func run(
        _ r: SensitivitySweepRequest, evaluable: Int
    ) throws -> (sweep: SensitivityResult?, run: StudyRunSummary) {
        let n = min(r.limit ?? Int.max, evaluable)
        let entry = SensitivityTaskEntry(task: r.task, limit: n, shots: r.shots, metric: r.metric, file: nil)
        let spec = SensitivityStudySpec(
            name: "sensitivity-\(r.task)", title: "lisa sensitivity --task \(r.task)", model: r.modelPath, seed: r.seed,
            figure: .ranking, tasks: [entry], policies: SweepPolicy.allCases.map(\.rawValue))
        let scratch =
            r.database == nil
            ? FileManager.default.temporaryDirectory
                .appendingPathComponent("lisa-sensitivity-\(UUID().uuidString)") : nil
        defer { if let scratch { try? FileManager.default.removeItem(at: scratch) } }
        let db = r.database ?? scratch!.appendingPathComponent("sweep.sqlite").path
        var o = StudyRunOptions(
            modelPath: r.modelPath, dbPath: db, dataDir: r.dataDir,
            reportsDir: scratch?.appendingPathComponent("reports").path ?? r.reportsDir, resume: r.resume,
            threads: r.threads, shard: r.shard)
        o.batch = r.batch
        if scratch != nil {
            o.loadModel = r.loadModel
            o.log = { line in if line.hasPrefix("loading ") { FileHandle.standardError.write(Data((line + "\n").utf8)) }
            }
        }
        let summary = try SensitivityStudy.run(spec: spec, specPath: "lisa sensitivity", options: o)
        guard r.shard == nil else { return (nil, summary) }
        return (try storedSweeps(store: LisaStore(path: db), runId: summary.runId)[r.task], summary)
    }
}
