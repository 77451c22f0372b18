import Foundation
import GRDB

// Evaluation runs in the study database (migration v2-eval-runs-documents). The Store module knows
// nothing of the Evaluation types: metrics, scores and log-likelihoods arrive as JSON text, so the
// values written are exactly what the caller's encoder produced (Double round-trips exactly).

/// One `lisa eval` run, or one (pair, policy) unit of a sensitivity study when `studyRunId` is set.
public struct EvalRunRecord: Codable, FetchableRecord, MutablePersistableRecord, Equatable {
    public static let databaseTableName = "evalRuns"
    public var id: Int64?
    public var modelId: Int64
    public var studyRunId: Int64?
    /// The study unit, e.g. "baseline", "ds 3–4" (nil for a plain `lisa eval`).
    public var unit: String?
    public var task: String
    public var shots: Int
    public var seed: Int64
    public var docLimit: Int?
    /// JSON object 0-based layer → policy token ("ds", "uniform", …).
    public var policies: String
    /// The sharing config JSON given with --sharing, if any.
    public var sharing: String?
    /// The SHA-256 of the trained checkpoint the run used (`lisa eval --lisa`), if any.
    public var checkpointSHA256: String?
    /// Canonical JSON of everything that determines the numbers; a resumed run must match it.
    public var parameters: String
    public var status: RunStatus
    public var n: Int
    public var primaryMetric: String
    /// JSON object metric → value; "{}" until the run finishes.
    public var metrics: String
    /// JSON object metric → lm-eval mean_stderr.
    public var stderr: String
    public var seconds: Double
    public var tokens: Int
    public var toolVersion: String
    public var startedAt: Date
    public var finishedAt: Date?
    /// The run whose documents this one copied (`copyFinishedEvalRun`), if any.
    public var copiedFrom: Int64?
    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    public init(
        modelId: Int64, studyRunId: Int64? = nil, unit: String? = nil, task: String, shots: Int, seed: UInt64,
        docLimit: Int?, policies: String, sharing: String?, checkpointSHA256: String? = nil, parameters: String, n: Int,
        primaryMetric: String, toolVersion: String
    ) {
        self.modelId = modelId; self.studyRunId = studyRunId; self.unit = unit; self.task = task; self.shots = shots
        self.seed = Int64(bitPattern: seed); self.docLimit = docLimit; self.policies = policies; self.sharing = sharing
        self.checkpointSHA256 = checkpointSHA256
        self.parameters = parameters; self.status = .running; self.n = n; self.primaryMetric = primaryMetric
        self.metrics = "{}"; self.stderr = "{}"; self.seconds = 0; self.tokens = 0; self.toolVersion = toolVersion
        self.startedAt = Date(); self.finishedAt = nil
    }
}

/// One scored document of an evaluation run (present = done, for --resume).
public struct EvalDocumentRecord: Codable, FetchableRecord, PersistableRecord, Equatable {
    public static let databaseTableName = "evalDocuments"
    public var evalRunId: Int64
    /// Position in the run's seeded document order (0-based).
    public var ordinal: Int
    /// The document's 0-based line in the task's data file.
    public var docIndex: Int
    /// JSON array, one log-likelihood per choice (nil for generation tasks).
    public var logLikelihoods: String?
    public var gold: Int?
    public var prediction: String?
    /// JSON object metric → this document's score.
    public var scores: String
    public var seconds: Double
    public var tokens: Int
    public init(
        evalRunId: Int64, ordinal: Int, docIndex: Int, logLikelihoods: String?, gold: Int?, prediction: String?,
        scores: String, seconds: Double, tokens: Int
    ) {
        self.evalRunId = evalRunId; self.ordinal = ordinal; self.docIndex = docIndex;
        self.logLikelihoods = logLikelihoods
        self.gold = gold; self.prediction = prediction; self.scores = scores; self.seconds = seconds;
        self.tokens = tokens
    }
}

extension LisaStore {
    /// The newest evaluation run with exactly these parameters (and, for studies, this study run and unit): an
    /// unsharded one, or with `shard` the newest run of that shard of the documents.
    public func latestEvalRun(
        parameters: String, modelId: Int64, studyRunId: Int64? = nil, shard: Shard? = nil
    ) throws -> EvalRunRecord? {
        try dbQueue.read { db in
            var q = EvalRunRecord.filter(Column("parameters") == parameters && Column("modelId") == modelId)
            q = studyRunId.map { q.filter(Column("studyRunId") == $0) } ?? q.filter(Column("studyRunId") == nil)
            return try q.filter(shardOf: "evalRunId", shard).order(Column("id").desc).fetchOne(db)
        }
    }

    /// When no run of `studyRunId` has these parameters but the database holds a finished, unsharded one (of any
    /// study, or none) on the same model: a new run of `studyRunId`/`unit` with a copy of every one of its
    /// documents, in one transaction, naming it in `copiedFrom`. Equal parameters determine equal numbers, so a
    /// study never scores again what another already stored (fig9's PIQA ranking is fig6's DS runs; a plain
    /// `lisa eval` of the original model is a study's baseline). The copy is left running: the caller finishes it
    /// like a resumed run. Nil when there is nothing to copy.
    public func copyFinishedEvalRun(
        parameters: String, modelId: Int64, studyRunId: Int64?, unit: String?
    ) throws -> EvalRunRecord? {
        try dbQueue.write { db in
            guard
                let source = try EvalRunRecord
                    .filter(Column("parameters") == parameters && Column("modelId") == modelId)
                    .filter(Column("status") == RunStatus.finished.rawValue)
                    .filter(shardOf: "evalRunId", nil).order(Column("id").desc).fetchOne(db)
            else { return nil }
            var copy = source
            copy.id = nil; copy.studyRunId = studyRunId; copy.unit = unit; copy.status = .running
            copy.metrics = "{}"; copy.stderr = "{}"; copy.seconds = 0; copy.tokens = 0
            copy.startedAt = Date(); copy.finishedAt = nil; copy.copiedFrom = source.copiedFrom ?? source.id
            try copy.insert(db)
            try db.execute(
                sql: """
                    INSERT INTO evalDocuments (evalRunId, ordinal, docIndex, logLikelihoods, gold, prediction, scores,
                        seconds, tokens)
                    SELECT ?, ordinal, docIndex, logLikelihoods, gold, prediction, scores, seconds, tokens
                    FROM evalDocuments WHERE evalRunId = ?
                    """, arguments: [copy.id, source.id])
            return copy
        }
    }

    /// A new evaluation run; with `shard`, marked in the same transaction as that shard of `units` documents.
    public func createEvalRun(_ r: EvalRunRecord, shard: Shard? = nil, units: Int = 0) throws -> EvalRunRecord {
        var new = r
        try dbQueue.write { db in
            try new.insert(db)
            if let shard { try ShardRecord(evalRunId: new.id!, shard: shard, units: units).insert(db) }
        }
        return new
    }

    public func evalRun(id: Int64) throws -> EvalRunRecord {
        guard let r = try dbQueue.read({ try EvalRunRecord.fetchOne($0, key: id) }) else {
            throw StoreError.unknownRun(id: id, path: path)
        }
        return r
    }

    /// Every evaluation run, oldest first (optionally one study run's units).
    public func evalRuns(studyRunId: Int64? = nil) throws -> [EvalRunRecord] {
        try dbQueue.read { db in
            let q = studyRunId.map { EvalRunRecord.filter(Column("studyRunId") == $0) } ?? EvalRunRecord.all()
            return try q.order(Column("id")).fetchAll(db)
        }
    }

    /// Stores one document in its own transaction: a stopped run keeps every finished document and no half one.
    public func storeEvalDocument(_ d: EvalDocumentRecord) throws {
        try dbQueue.write { try d.insert($0) }
    }

    /// A run's stored documents in run order.
    public func evalDocuments(runId: Int64) throws -> [EvalDocumentRecord] {
        try dbQueue.read {
            try EvalDocumentRecord.filter(Column("evalRunId") == runId).order(Column("ordinal")).fetchAll($0)
        }
    }

    public func finishEvalRun(id: Int64, n: Int, metrics: String, stderr: String, seconds: Double, tokens: Int) throws {
        try dbQueue.write { db in
            guard var r = try EvalRunRecord.fetchOne(db, key: id) else {
                throw StoreError.unknownRun(id: id, path: path)
            }
            r.status = .finished; r.finishedAt = Date(); r.n = n
            r.metrics = metrics; r.stderr = stderr; r.seconds = seconds; r.tokens = tokens
            try r.update(db)
        }
    }
}
