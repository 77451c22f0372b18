import Basics
import Foundation
import GRDB

// What `lisa merge` reads out of each shard database and writes, in one transaction, into the merged one.
// Rows are copied as stored (attention rows bit for bit, JSON text as written); only the database ids change.

/// A captured sample of a run with its attention rows [L][H][T] and its per-sample results.
public struct StoredSample {
    public var task: String
    public var file: String
    public var recordIndex: Int
    public var text: String
    public var tokenIds: [Int]
    /// Position in the whole (unsharded) run's input order.
    public var ordinal: Int
    public var seconds: Double
    public var rows: [[[Float]]]
    public var results: [(kind: String, value: String)]
}

/// One merged run: a study run with its samples, results and evaluation units, or (run nil) one evaluation run.
public struct MergedRun {
    public var model: ModelRecord
    /// The sha256 cache rows of the model file, so the merged database knows the file too.
    public var modelFiles: [ModelFileRecord]
    public var run: RunRecord?
    /// In run order; each is written as its own sample of `run`.
    public var samples: [StoredSample]
    /// Run-level results (sampleId 0) of `run`.
    public var results: [(task: String, kind: String, value: String)]
    /// Evaluation runs with their documents in run order: the units of `run` (studyRunId set to it), or the one
    /// evaluation run when `run` is nil.
    public var evalRuns: [(run: EvalRunRecord, documents: [EvalDocumentRecord])]

    public init(
        model: ModelRecord, modelFiles: [ModelFileRecord], run: RunRecord?, samples: [StoredSample] = [],
        results: [(task: String, kind: String, value: String)] = [],
        evalRuns: [(run: EvalRunRecord, documents: [EvalDocumentRecord])] = []
    ) {
        self.model = model; self.modelFiles = modelFiles; self.run = run; self.samples = samples
        self.results = results; self.evalRuns = evalRuns
    }
}

extension LisaStore {
    /// The samples a run captured, in run order, with their rows and per-sample results.
    public func storedSamples(runId: Int64) throws -> [StoredSample] {
        try dbQueue.read { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT s.id, rs.task, d.file, s.recordIndex, s.text, s.tokenIds, rs.ordinal, rs.seconds
                    FROM runSamples rs JOIN samples s ON s.id = rs.sampleId JOIN datasets d ON d.id = s.datasetId
                    WHERE rs.runId = ? ORDER BY rs.ordinal
                    """, arguments: [runId])
            return try rows.map { r in
                let sid: Int64 = r[0]
                let recs = try AttentionRowRecord.filter(Column("runId") == runId && Column("sampleId") == sid)
                    .order(Column("layer"), Column("head")).fetchAll(db)
                var attention: [[[Float]]] = []
                for a in recs {
                    if a.layer == attention.count { attention.append([]) }
                    attention[a.layer].append(try FloatBlob.decode(a.probs))
                }
                let results = try ResultRecord.filter(Column("runId") == runId && Column("sampleId") == sid)
                    .order(Column("task"), Column("kind")).fetchAll(db).map { (kind: $0.kind, value: $0.value) }
                let ids = try CanonicalJSON.decoder().decode([Int].self, from: Data((r[5] as String).utf8))
                return StoredSample(
                    task: r[1], file: r[2], recordIndex: r[3], text: r[4], tokenIds: ids, ordinal: r[6],
                    seconds: r[7], rows: attention, results: results)
            }
        }
    }

    /// The sha256 cache rows naming files with this digest.
    public func modelFiles(sha256: String) throws -> [ModelFileRecord] {
        try dbQueue.read { try ModelFileRecord.filter(Column("sha256") == sha256).fetchAll($0) }
    }

    /// Writes `m` in one transaction (all of it or nothing) and returns the new run's id (nil for an evaluation
    /// run) and the evaluation runs' ids. The run keeps the status it is given: a study's analyses come after.
    public func writeMerged(_ m: MergedRun) throws -> (runId: Int64?, evalRunIds: [Int64]) {
        try dbQueue.write { db in
            var model = m.model
            if let old = try ModelRecord.filter(Column("sha256") == model.sha256).fetchOne(db) {
                model = old
            } else {
                model.id = nil
                try model.insert(db)
            }
            for f in m.modelFiles { try f.save(db) }
            var runId: Int64?
            if var run = m.run {
                run.id = nil; run.modelId = model.id!
                try run.insert(db)
                runId = run.id
                for s in m.samples {
                    try Self.insertSample(
                        db, runId: run.id!, modelId: model.id!, task: s.task, file: s.file, recordIndex: s.recordIndex,
                        text: s.text, tokenIds: s.tokenIds, ordinal: s.ordinal, seconds: s.seconds, rows: s.rows,
                        results: s.results)
                }
                for r in m.results {
                    try ResultRecord(runId: run.id!, task: r.task, kind: r.kind, sampleId: 0, value: r.value).save(db)
                }
            }
            var evalIds: [Int64] = []
            for (e, docs) in m.evalRuns {
                var run = e
                run.id = nil; run.modelId = model.id!; run.studyRunId = runId
                try run.insert(db)
                evalIds.append(run.id!)
                for var d in docs { d.evalRunId = run.id!; try d.insert(db) }
            }
            return (runId, evalIds)
        }
    }
}
