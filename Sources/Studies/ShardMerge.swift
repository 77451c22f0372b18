import Basics
import Evaluation
import Foundation
import Store
import Tokenizers

/// What `lisa merge` wrote.
public struct MergeSummary {
    /// "study", "sensitivity study" or "eval".
    public var kind: String
    /// The study's name or the evaluated task.
    public var name: String
    public var shards: Int
    public var units: Int
    /// The merged study run, or the merged evaluation run for an eval.
    public var runId: Int64
    /// An eval's metrics over all documents (empty for studies).
    public var metrics: [String: Double]
    public var standardErrors: [String: Double]
}

/// `lisa merge`: the shard databases of one run (`--shard I/N`) → one database equal to an unsharded run's.
/// Checks first, writes nothing on a fault: every shard is a part of the same run (kind, study or task, parameters,
/// model sha256, shard count, number of work units), each shard index 0..<N appears once, each shard finished
/// and holds exactly its units. Rows are copied as stored, in the unsharded run's order. What depends on all
/// units is recomputed from them with the unsharded run's own code: a study's analyses (StudyAnalyses over the
/// merged rows), an eval's aggregate (`aggregate` over the documents in run order: the same sums in the same order,
/// so the same bits), a sensitivity study's sweeps (from its configurations' stored scores).
public enum ShardMerge {
    public static func merge(
        _ paths: [String], into intoPath: String, modelPath: String? = nil,
        log: (String) -> Void = { _ in }
    ) throws -> MergeSummary {
        guard !paths.isEmpty else { throw ShardError.noDatabases }
        let intoAbs = URL(fileURLWithPath: intoPath).standardizedFileURL.path
        let parts = try paths.map { p -> Part in
            guard URL(fileURLWithPath: p).standardizedFileURL.path != intoAbs else {
                throw ShardError.intoIsShard(intoPath)
            }
            return try Part(path: p)
        }.sorted { $0.shard.index < $1.shard.index }
        try checkSameRun(parts)
        let into = try LisaStore(path: intoPath)
        let first = parts[0]
        try checkNotMerged(first, into: into, path: intoPath)
        let files = try parts.flatMap { try $0.store.modelFiles(sha256: first.model.sha256) }
        let summary: MergeSummary
        if first.evalRun != nil {
            summary = try mergeEval(parts, into: into, modelFiles: files)
        } else if studyKindOf(parameters: first.run!.parameters) == .sensitivity {
            summary = try mergeSensitivity(parts, into: into, modelFiles: files)
        } else {
            summary = try mergeCapture(parts, into: into, modelFiles: files, modelPath: modelPath, log: log)
        }
        log(
            "merged \(parts.count) shards of \(summary.kind) \(summary.name) (\(summary.units) work units) into "
                + "\(intoPath)"
        )
        return summary
    }

    /// One shard database and its newest shard run.
    struct Part {
        let path: String
        let store: LisaStore
        let shard: Shard
        let units: Int
        let model: ModelRecord
        let run: RunRecord?
        let evalRun: EvalRunRecord?

        init(path: String) throws {
            guard FileManager.default.fileExists(atPath: path) else { throw ShardError.missingDatabase(path) }
            self.path = path
            store = try LisaStore(path: path)
            // A shard database holds one shard; a forced re-run into it adds a newer one, which is the one merged.
            guard let mark = try store.shardRecords().last else { throw ShardError.noShard(db: path) }
            shard = try mark.shard
            units = mark.units
            if let id = mark.runId {
                let r = try store.run(id: id)
                run = r; evalRun = nil
                guard let m = try store.model(id: r.modelId) else { throw StoreError.unknownRun(id: id, path: path) }
                model = m
            } else {
                let e = try store.evalRun(id: mark.evalRunId!)
                run = nil; evalRun = e
                guard let m = try store.model(id: e.modelId) else { throw StoreError.unknownRun(id: e.id!, path: path) }
                model = m
            }
        }

        var finished: Bool { (run?.status ?? evalRun!.status) == .finished }

        /// What must agree between the shards of one run, named as the error names it.
        var identity: [(what: String, value: String)] {
            [
                ("kind", run == nil ? "eval" : "study"),
                (run == nil ? "task" : "study", run?.study ?? evalRun!.task),
                ("parameters", run?.parameters ?? evalRun!.parameters),
                ("model sha256", model.sha256),
                ("shard count", "\(shard.count)"),
                ("work units", "\(units)"),
            ]
        }

        /// The unit numbers this shard must hold.
        var expected: [Int] { shard.units(of: units) }
    }

    static func checkSameRun(_ parts: [Part]) throws {
        let first = parts[0]
        for p in parts.dropFirst() {
            for (a, b) in zip(first.identity, p.identity) where a.value != b.value {
                throw ShardError.mismatch(
                    db: p.path, what: a.what, expected: a.value, found: b.value, first: first.path)
            }
        }
        var seen: [Int: String] = [:]
        for p in parts {
            if let other = seen[p.shard.index] {
                throw ShardError.duplicated(shard: "\(p.shard)", dbs: [other, p.path])
            }
            seen[p.shard.index] = p.path
        }
        let n = first.shard.count
        let missing = (0..<n).filter { seen[$0] == nil }
        guard missing.isEmpty else { throw ShardError.missing(shards: missing.map { "\($0)/\(n)" }, count: n) }
        for p in parts where !p.finished { throw ShardError.unfinished(db: p.path, shard: "\(p.shard)") }
    }

    /// The merged database must not already hold this run (a second merge would double it).
    static func checkNotMerged(_ first: Part, into: LisaStore, path: String) throws {
        let sha = first.model.sha256
        let shardRuns = Set(try into.shardRecords().compactMap(\.runId))
        let shardEvals = Set(try into.shardRecords().compactMap(\.evalRunId))
        if let e = first.evalRun {
            for r in try into.evalRuns()
            where r.parameters == e.parameters && r.studyRunId == nil && !shardEvals.contains(r.id!) {
                guard try into.model(id: r.modelId)?.sha256 == sha else { continue }
                throw ShardError.alreadyMerged(
                    into: path, runId: r.id!, what: "evaluation of \(e.task), \(r.status.rawValue)")
            }
        } else if let run = first.run {
            for r in try into.allRuns()
            where r.study == run.study && r.parameters == run.parameters && !shardRuns.contains(r.id!) {
                guard try into.model(id: r.modelId)?.sha256 == sha else { continue }
                throw ShardError.alreadyMerged(
                    into: path, runId: r.id!, what: "study \(run.study), \(r.status.rawValue)")
            }
        }
    }

    /// Σ over the shards in shard order, the earliest start.
    static func combined(_ parts: [Part]) -> RunRecord {
        var r = parts[0].run!
        r.startedAt = parts.map { $0.run!.startedAt }.min()!
        r.captureSeconds = parts.reduce(0) { $0 + $1.run!.captureSeconds }
        r.tokens = parts.reduce(0) { $0 + $1.run!.tokens }
        r.analysisSeconds = 0
        return r
    }

    /// The shards' run-level results; a (task, kind) that several shards hold (the model layout, load averages)
    /// is taken from the lowest shard.
    static func runResults(_ parts: [Part]) throws -> [(task: String, kind: String, value: String)] {
        var out: [(task: String, kind: String, value: String)] = [], seen = Set<String>()
        for p in parts {
            for r in try p.store.results(runId: p.run!.id!)
            where r.sampleId == 0 && seen.insert("\(r.task)\u{0}\(r.kind)").inserted {
                out.append((r.task, r.kind, r.value))
            }
        }
        return out
    }

    /// Every shard's units (samples, documents) in run order; a shard that lacks one of its units, or holds one that
    /// is not its own, is an error naming it.
    static func gather<U>(_ parts: [Part], ordinal: KeyPath<U, Int>, _ fetch: (Part) throws -> [U]) throws -> [U] {
        var all: [U] = []
        for p in parts {
            let units = try fetch(p)
            guard units.map({ $0[keyPath: ordinal] }) == p.expected else {
                throw ShardError.incomplete(
                    db: p.path, shard: "\(p.shard)", expected: p.expected.count, found: units.count)
            }
            all += units
        }
        return all.sorted { $0[keyPath: ordinal] < $1[keyPath: ordinal] }
    }

    // MARK: capture studies

    static func mergeCapture(
        _ parts: [Part], into: LisaStore, modelFiles: [ModelFileRecord], modelPath: String?,
        log: (String) -> Void
    ) throws -> MergeSummary {
        let first = parts[0]
        let samples = try gather(parts, ordinal: \.ordinal) { try $0.store.storedSamples(runId: $0.run!.id!) }
        let spec = try storedSpec(first.run!, db: first.path)
        // Table 11's labels need the tokenizer: found before anything is written.
        let piece =
            try spec.analyses.contains(.topK) ? tokenizer(first, parts: parts, into: into, modelPath: modelPath) : nil
        var run = combined(parts)
        run.status = .running; run.finishedAt = nil
        let (runId, _) = try into.writeMerged(
            MergedRun(
                model: first.model, modelFiles: modelFiles, run: run, samples: samples,
                results: try runResults(parts)))
        let a0 = Date()
        try StudyAnalyses(store: into, runId: runId!, spec: spec, piece: piece).run()
        try into.finishRun(
            id: runId!, captureSeconds: run.captureSeconds, analysisSeconds: Date().timeIntervalSince(a0),
            tokens: run.tokens)
        return MergeSummary(
            kind: "study", name: run.study, shards: parts.count, units: first.units, runId: runId!,
            metrics: [:], standardErrors: [:])
    }

    /// The analyses' view of a study file, rebuilt from the run's parameters (what determines the numbers).
    static func storedSpec(_ run: RunRecord, db: String) throws -> StudySpec {
        struct P: Decodable {
            let datasets: [StudyDataset]; let seed: UInt64; let analyses: [StudyAnalysis];
            let generation: StudyGeneration?
        }
        let p: P
        do { p = try CanonicalJSON.decoder().decode(P.self, from: Data(run.parameters.utf8)) } catch {
            throw StudyError.malformed(file: db, reason: "run \(run.id!)'s parameters are not a study's (\(error))")
        }
        return StudySpec(
            name: run.study, title: run.study, model: "", seed: p.seed, datasets: p.datasets, analyses: p.analyses,
            plots: [], claim: nil, deviations: nil, generation: p.generation)
    }

    /// Token id → piece from the model file: `modelPath`, else a path the shards recorded, checked by sha256.
    static func tokenizer(_ first: Part, parts: [Part], into: LisaStore, modelPath: String?) throws -> (Int) -> String {
        let sha = first.model.sha256
        var candidates = try parts.flatMap { try $0.store.modelFiles(sha256: sha).map(\.path) }
        if let modelPath { candidates = [modelPath] }
        for path in candidates where FileManager.default.fileExists(atPath: path) {
            guard (try? into.sha256(ofModelAt: path)) == sha else { continue }
            let tk = try TokenizerLoader.load(path: path)
            return { tk.piece($0) }
        }
        throw ShardError.modelFileNotFound(sha256: sha, db: first.path)
    }

    // MARK: evaluations

    static func mergeEval(_ parts: [Part], into: LisaStore, modelFiles: [ModelFileRecord]) throws -> MergeSummary {
        let first = parts[0]
        let docs = try gather(parts, ordinal: \.ordinal) { try $0.store.evalDocuments(runId: $0.evalRun!.id!) }
        let results = try docs.map { d -> DocumentResult in
            do { return try documentResult(d) } catch {
                throw EvalStoreError.damagedDocument(
                    runId: d.evalRunId, docIndex: d.docIndex,
                    db: parts.first { $0.evalRun!.id == d.evalRunId }?.path ?? "")
            }
        }
        let (metrics, errs) = aggregate(results)
        var e = first.evalRun!
        e.n = docs.count; e.metrics = CanonicalJSON.string(metrics); e.stderr = CanonicalJSON.string(errs)
        e.seconds = parts.reduce(0) { $0 + $1.evalRun!.seconds }
        e.tokens = parts.reduce(0) { $0 + $1.evalRun!.tokens }
        e.startedAt = parts.map { $0.evalRun!.startedAt }.min()!
        e.status = .finished; e.finishedAt = Date()
        let (_, ids) = try into.writeMerged(
            MergedRun(model: first.model, modelFiles: modelFiles, run: nil, evalRuns: [(e, docs)]))
        return MergeSummary(
            kind: "eval", name: e.task, shards: parts.count, units: first.units, runId: ids[0],
            metrics: metrics, standardErrors: errs)
    }

    // MARK: sensitivity studies

    static func mergeSensitivity(_ parts: [Part], into: LisaStore, modelFiles: [ModelFileRecord]) throws -> MergeSummary
    {
        let first = parts[0]
        struct P: Decodable {
            let seed: UInt64; let tasks: [SensitivityTaskEntry]; let policies: [String]; let pairs: [String]?
        }
        let p: P
        do { p = try CanonicalJSON.decoder().decode(P.self, from: Data(first.run!.parameters.utf8)) } catch {
            throw StudyError.malformed(
                file: first.path, reason: "run \(first.run!.id!)'s parameters are not a sensitivity study's (\(error))")
        }
        let spec = SensitivityStudySpec(
            name: first.run!.study, title: first.run!.study, model: "", seed: p.seed, figure: .ranking,
            tasks: p.tasks, policies: p.policies, pairs: p.pairs)
        let pairs = try spec.layerPairs(nLayers: first.model.nLayers, file: first.path)
        let plan = SensitivityStudy.unitPlan(spec, pairs: pairs)
        var byUnit: [Int: (run: EvalRunRecord, documents: [EvalDocumentRecord])] = [:]
        for part in parts {
            // A shard runs its configurations in plan order, each evaluation run created once: id order is unit order.
            let runs = try part.store.evalRuns(studyRunId: part.run!.id!)
            let ok =
                runs.count == part.expected.count && plan.count == part.units
                && zip(part.expected, runs).allSatisfy { plan[$0].label == $1.unit && $1.status == .finished }
            guard ok else {
                throw ShardError.incomplete(
                    db: part.path, shard: "\(part.shard)", expected: part.expected.count,
                    found: runs.filter { $0.status == .finished }.count)
            }
            for (k, r) in zip(part.expected, runs) { byUnit[k] = (r, try part.store.evalDocuments(runId: r.id!)) }
        }
        let units = plan.indices.map { byUnit[$0]! }
        let dec = CanonicalJSON.decoder()
        let scores = try zip(plan, units).map { u, e in
            SensitivityStudy.UnitScore(
                task: u.task, key: u.key,
                metrics: try dec.decode([String: Double].self, from: Data(e.run.metrics.utf8)),
                standardErrors: try dec.decode([String: Double].self, from: Data(e.run.stderr.utf8)),
                n: e.run.n, shots: e.run.shots, primaryMetric: e.run.primaryMetric, seconds: e.run.seconds)
        }
        var results = try runResults(parts)
        for s in try SensitivityStudy.sweeps(spec, nLayers: first.model.nLayers, pairs: pairs, units: scores) {
            results.append((s.task, ResultKind.sensitivity.rawValue, CanonicalJSON.string(s)))
        }
        var run = combined(parts)
        run.status = .finished; run.finishedAt = Date()
        let (runId, _) = try into.writeMerged(
            MergedRun(
                model: first.model, modelFiles: modelFiles, run: run, results: results,
                evalRuns: units))
        return MergeSummary(
            kind: "sensitivity study", name: run.study, shards: parts.count, units: first.units, runId: runId!,
            metrics: [:], standardErrors: [:])
    }

    /// `kind` of a study run's parameters ("capture" when absent).
    static func studyKindOf(parameters: String) -> StudyKind {
        struct K: Decodable { let kind: String? }
        let k = (try? CanonicalJSON.decoder().decode(K.self, from: Data(parameters.utf8)))?.kind
        return k.flatMap(StudyKind.init(rawValue:)) ?? .capture
    }
}
