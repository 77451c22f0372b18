import Basics
import Evaluation
import Foundation
import Models
import Store

/// Evaluation-store failures, each a sentence naming the database.
public enum EvalStoreError: Error, CustomStringConvertible, Equatable {
    case stoppedEarly(after: Int, db: String)
    case damagedDocument(runId: Int64, docIndex: Int, db: String)
    case unwritableLog(path: String, reason: String)

    public var description: String {
        switch self {
        case .stoppedEarly(let n, let db):
            return "Stopped after \(n) new documents as asked (--stop-after); continue with --resume on \(db)."
        case .damagedDocument(let id, let doc, let db):
            return
                "The stored result of document \(doc) in evaluation run \(id) of \(db) is not valid JSON; the "
                + "database is damaged."
        case .unwritableLog(let path, let reason):
            return "The document log \(path) cannot be opened for writing: \(reason)."
        }
    }
}

/// Runs (or resumes) one evaluation and records it in the study database: the run's parameters,
/// every document in its own transaction, then the aggregate (`lisa eval --db`, sensitivity studies).
public struct EvalRecorder {
    public let store: LisaStore
    public let modelId: Int64

    public init(store: LisaStore, modelId: Int64) { self.store = store; self.modelId = modelId }

    /// Registers the model file (sha256, shape) and returns a recorder for it.
    public static func open(store: LisaStore, modelPath: String, model: LoadedModel) throws -> EvalRecorder {
        try open(store: store, modelPath: modelPath, config: model.config)
    }

    /// The same from the model's header alone (before its weights are loaded).
    public static func open(store: LisaStore, modelPath: String, config c: ModelConfig) throws -> EvalRecorder {
        let rec = try store.registerModel(
            ModelRecord(
                sha256: try store.sha256(ofModelAt: modelPath),
                fileName: URL(fileURLWithPath: modelPath).lastPathComponent,
                arch: c.arch.rawValue, nLayers: c.nLayers, nHeads: c.nHeads,
                nKVHeads: c.nKVHeads, headDim: c.headDim))
        return EvalRecorder(store: store, modelId: rec.id!)
    }

    /// A trained checkpoint an evaluation runs with (`lisa eval --lisa`): its layers as score providers, identified
    /// in the run's parameters by the file's SHA-256 (and whether NF decoding ran).
    public struct Checkpoint {
        public let identity: CheckpointIdentity
        public let providers: LayerScoreProviders
        public init(identity: CheckpointIdentity, providers: LayerScoreProviders) {
            self.identity = identity; self.providers = providers
        }
    }

    /// Canonical JSON of what determines the numbers: task, data file, shots, seed, limit, policies, sharing, and a
    /// checkpoint's SHA-256 and NF flag (absent without one, so runs stored before keep their identity).
    public static func parameters(
        task: EvalTask, options: EvalOptions, sharing: SharingConfig?, checkpoint: Checkpoint? = nil
    ) -> String {
        struct P: Encodable {
            let task: String; let dataFile: String; let shots: Int; let seed: UInt64; let limit: Int?
            let policies: [String: String]; let sharing: String?; let checkpointSHA256: String?; let nf: Bool?
            /// NF runs scored before the continuation-through-LiSA definition had no such key: they stay apart.
            let nfScoring: String?
            /// Few-shot runs whose contexts run as the prefix's stored state, then the rest (`PrefixStates`): runs
            /// stored before, which ran each context in one call, had no such key and stay apart.
            let prefixCall: String?
        }
        return CanonicalJSON.string(
            P(
                task: task.spec.name, dataFile: task.spec.dataFile, shots: options.shots, seed: options.seed,
                limit: options.limit, policies: options.policies.tokens, sharing: sharing?.json,
                checkpointSHA256: checkpoint?.identity.sha256, nf: checkpoint.map(\.identity.nf),
                nfScoring: checkpoint?.identity.nf == true ? ContextScorer.nfScoringDefinition : nil,
                prefixCall: PrefixStates.applies(
                    shots: options.shots, hasProviders: !(checkpoint?.providers.isEmpty ?? true),
                    nf: checkpoint?.identity.nf ?? false) ? PrefixStates.definition : nil))
    }

    /// What happened: the result, the stored run and how many documents came from the database.
    public struct Outcome {
        public var result: TaskResult; public var run: EvalRunRecord; public var resumedDocuments: Int
        /// Of `resumedDocuments`, those copied in this call from other databases (`reuseFrom`).
        public var reusedDocuments = 0
    }

    /// Evaluates `task`. With `resume`, continues the newest run with the same parameters (a finished one is
    /// re-aggregated from its stored documents without scoring) or, with `reuseFinished` and no such run here, copies
    /// an identical finished run of another study (`LisaStore.copyFinishedEvalRun`); otherwise starts a new run.
    /// `stopAfter` stops with an error after that many newly stored documents (tests of --resume).
    /// `shard`: score only that shard's documents (their ordinals stay those of the whole run), in a run marked as
    /// the shard; its metrics are over its own documents until `lisa merge` recomputes them over all.
    /// `reuseFrom`: databases whose runs equal this one but for the limit; the documents of this run they hold are
    /// copied into it first (`reuseDocuments`) and not scored again.
    public func run(
        _ task: EvalTask, model: LoadedModel, options: EvalOptions, sharing: SharingConfig? = nil,
        checkpoint: Checkpoint? = nil,
        studyRunId: Int64? = nil, unit: String? = nil, resume: Bool, reuseFinished: Bool = true,
        stopAfter: Int? = nil, shard: Shard? = nil, reuseFrom: [String] = [], progress: ((Int, Int) -> Void)? = nil
    ) throws -> Outcome {
        let params = Self.parameters(task: task, options: options, sharing: sharing, checkpoint: checkpoint)
        let order = selectDocuments(task, options: options)
        let total = order.count
        var run: EvalRunRecord
        if resume,
            let old = try store.latestEvalRun(
                parameters: params, modelId: modelId, studyRunId: studyRunId, shard: shard)
        {
            run = old
        } else if resume, reuseFinished, shard == nil,
            let copied = try store.copyFinishedEvalRun(
                parameters: params, modelId: modelId, studyRunId: studyRunId, unit: unit)
        {
            run = copied
        } else {
            run = try store.createEvalRun(
                EvalRunRecord(
                    modelId: modelId, studyRunId: studyRunId, unit: unit, task: task.spec.name, shots: options.shots,
                    seed: options.seed, docLimit: options.limit,
                    policies: CanonicalJSON.string(options.policies.tokens),
                    sharing: sharing?.json, checkpointSHA256: checkpoint?.identity.sha256, parameters: params,
                    n: shard?.units(of: total).count ?? total,
                    primaryMetric: task.spec.primaryMetric, toolVersion: studiesToolVersion), shard: shard, units: total
            )
        }
        let runId = run.id!
        let reused = try reuseDocuments(
            from: reuseFrom, parameters: params, task: task, order: order, runId: runId, shard: shard)
        let stored = try store.evalDocuments(runId: runId).map { d -> ScoredDocument in
            do { return ScoredDocument(result: try documentResult(d), seconds: d.seconds, tokens: d.tokens) } catch {
                throw EvalStoreError.damagedDocument(runId: runId, docIndex: d.docIndex, db: store.path)
            }
        }
        var fresh = 0
        let r = try evaluate(
            task, model: model, options: options, resumed: stored,
            scoreProviders: checkpoint?.providers ?? [:], nf: checkpoint?.identity.nf ?? false,
            ordinals: shard.map { s in { s.owns($0) } },
            each: { doc, ordinal in
                try store.storeEvalDocument(Self.record(doc, runId: runId, ordinal: ordinal))
                fresh += 1
                if let stopAfter, fresh >= stopAfter { throw EvalStoreError.stoppedEarly(after: fresh, db: store.path) }
            }, progress: progress)
        try store.finishEvalRun(
            id: runId, n: r.n, metrics: CanonicalJSON.string(r.metrics), stderr: CanonicalJSON.string(r.standardErrors),
            seconds: r.seconds, tokens: r.tokensRun)
        var result = r
        result.sharing = sharing
        result.checkpoint = checkpoint?.identity
        return Outcome(
            result: result, run: try store.evalRun(id: runId), resumedDocuments: stored.count, reusedDocuments: reused)
    }

    /// Copies into run `runId` the documents of its order (its shard's) that the databases at `paths` hold for runs
    /// equal to it but for the limit, and that it does not hold yet; all in one transaction. A copied document must
    /// have the gold the data file gives it now (a data file replaced since — ARC-Easy on 2026-12-01 — is scored
    /// again). Returns how many were copied.
    func reuseDocuments(
        from paths: [String], parameters: String, task: EvalTask, order: [Document], runId: Int64, shard: Shard?
    ) throws -> Int {
        guard !paths.isEmpty, let sha = try store.model(id: modelId)?.sha256 else { return 0 }
        var wanted: [Int: (ordinal: Int, doc: Document)] = [:]  // document index → its place in this run
        for (ordinal, doc) in order.enumerated() where shard?.owns(ordinal) ?? true { wanted[doc.index] = (ordinal, doc) }
        var have = Set(try store.evalDocuments(runId: runId).map(\.docIndex))
        var copies: [EvalDocumentRecord] = []
        for path in paths {
            for var d in try LisaStore.documentsOfEqualRuns(inDatabase: path, modelSHA256: sha, parameters: parameters)
            where !have.contains(d.docIndex) {
                guard let place = wanted[d.docIndex] else { continue }
                if let gold = d.gold, (try? task.gold(place.doc)) != gold { continue }
                d.evalRunId = runId; d.ordinal = place.ordinal
                copies.append(d); have.insert(d.docIndex)
            }
        }
        try store.storeEvalDocuments(copies)
        return copies.count
    }

    /// The row stored for one document (JSON via the canonical encoder: doubles round-trip exactly).
    public static func record(_ d: ScoredDocument, runId: Int64, ordinal: Int) -> EvalDocumentRecord {
        EvalDocumentRecord(
            evalRunId: runId, ordinal: ordinal, docIndex: d.result.index,
            logLikelihoods: d.result.logLikelihoods.map { CanonicalJSON.string($0) }, gold: d.result.gold,
            prediction: d.result.prediction, scores: CanonicalJSON.string(d.result.scores),
            seconds: d.seconds, tokens: d.tokens)
    }
}

/// The DocumentResult a stored row holds.
public func documentResult(_ d: EvalDocumentRecord) throws -> DocumentResult {
    let dec = CanonicalJSON.decoder()
    return DocumentResult(
        index: d.docIndex,
        logLikelihoods: try d.logLikelihoods.map { try dec.decode([Double].self, from: Data($0.utf8)) },
        gold: d.gold, prediction: d.prediction, scores: try dec.decode([String: Double].self, from: Data(d.scores.utf8))
    )
}
