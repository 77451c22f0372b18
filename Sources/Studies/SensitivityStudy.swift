import Basics
import Datasets
import Evaluation
import Foundation
import GGUF
import Models
import Store
import Yams

/// One benchmark of a sensitivity study (tasks/<task>.json) and its subset size.
public struct SensitivityTaskEntry: Codable, Equatable, Sendable {
    public var task: String
    /// Documents per configuration (the same seeded sample for every configuration).
    public var limit: Int
    public var shots: Int?
    /// Default: the task's primary metric (FIGURES.md C8).
    public var metric: String?
    /// Another data file of the same format, e.g. gsm8k/train.jsonl (Fig 9 uses GSM8K train items).
    public var file: String?

    public init(task: String, limit: Int, shots: Int? = nil, metric: String? = nil, file: String? = nil) {
        self.task = task; self.limit = limit; self.shots = shots; self.metric = metric; self.file = file
    }
}

/// A study file with `kind: sensitivity` (Figs 6, 9, 13): DS (and uniform) attention on each layer pair.
public struct SensitivityStudySpec: Codable, Sendable {
    public enum Figure: String, Codable, Sendable { case ranking, curves }
    public var name: String
    public var kind: String
    public var title: String
    public var model: String
    public var seed: UInt64
    /// ranking: Fig 9's descending bar chart; curves: Fig 6/13's per-pair DS and uniform panels.
    public var figure: Figure
    public var tasks: [SensitivityTaskEntry]
    /// "ds" and/or "uniform" (Fig 9 needs only ds).
    public var policies: [String]
    /// 1-based pair labels to run, e.g. ["15-16", "17-18"] (default: all of LayerPair.sweep).
    public var pairs: [String]?
    public var claim: String?
    public var deviations: [String]?
    /// Quoted claims with verdict rules (studies/VERDICTS.md).
    public var claims: [ClaimSpec]?

    public init(
        name: String, kind: String = "sensitivity", title: String, model: String, seed: UInt64, figure: Figure,
        tasks: [SensitivityTaskEntry], policies: [String], pairs: [String]? = nil, claim: String? = nil,
        deviations: [String]? = nil,
        claims: [ClaimSpec]? = nil
    ) {
        self.name = name; self.kind = kind; self.title = title; self.model = model; self.seed = seed;
        self.figure = figure
        self.tasks = tasks; self.policies = policies; self.pairs = pairs; self.claim = claim;
        self.deviations = deviations
        self.claims = claims
    }

    public static func load(_ path: String) throws -> SensitivityStudySpec {
        let s: SensitivityStudySpec = try decodeStudyFile(path)
        guard !s.tasks.isEmpty else { throw StudyError.emptyStudy(file: path) }
        for t in s.tasks where !(1...10_000).contains(t.limit) {
            throw StudyError.badSampleCount(task: t.task, count: t.limit)
        }
        for p in s.policies where SweepPolicy(rawValue: p) == nil {
            throw StudyError.malformed(file: path, reason: "policies: \"\(p)\" is neither ds nor uniform")
        }
        guard s.policies.contains("ds") else {
            throw StudyError.malformed(file: path, reason: "policies must include ds")
        }
        try validateClaims(s.claims, file: path)
        return s
    }

    /// The pairs to run on an `nLayers` model, validated against the sweep.
    public func layerPairs(nLayers: Int, file: String) throws -> [LayerPair] {
        let all = LayerPair.sweep(nLayers: nLayers)
        guard let pairs else { return all }
        return try pairs.map { label in
            let norm = label.replacingOccurrences(of: "-", with: "–")
            guard let p = all.first(where: { $0.label == norm }) else {
                throw StudyError.malformed(
                    file: file,
                    reason: "pair \"\(label)\" is not one of \(all.map(\.label).joined(separator: ", ")) (1-based)")
            }
            return p
        }
    }

    /// The study run's identity: everything that determines the numbers.
    public func parametersJSON() -> String {
        struct P: Encodable {
            let kind: String; let seed: UInt64; let tasks: [SensitivityTaskEntry]; let policies: [String];
            let pairs: [String]?
        }
        return CanonicalJSON.string(P(kind: kind, seed: seed, tasks: tasks, policies: policies, pairs: pairs))
    }
}

/// Reads only `kind:` of a study file ("capture" when absent).
public func studyKind(_ path: String) -> StudyKind {
    struct K: Decodable { let kind: String? }
    guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8),
        let k = try? YAMLDecoder().decode(K.self, from: text)
    else { return .capture }
    return StudyKind(rawValue: k.kind ?? "") ?? .capture
}

/// A study file's `kind:` (absent: capture). An unknown kind reads as capture, whose loader then names the fault.
public enum StudyKind: String, Sendable {
    case capture, sensitivity
}

/// Runs a sensitivity study: for each task the baseline and, per pair, each policy, every configuration an
/// evaluation run stored as a unit of the study run (resumable per document), then the sweep and the report.
public enum SensitivityStudy {
    public static func run(specPath: String, options o: StudyRunOptions) throws -> StudyRunSummary {
        try run(spec: SensitivityStudySpec.load(specPath), specPath: specPath, options: o)
    }

    /// Runs `spec` (read from `specPath`, or built by `lisa sensitivity --db`, which names its options there).
    public static func run(
        spec: SensitivityStudySpec, specPath: String, options o: StudyRunOptions
    ) throws -> StudyRunSummary {
        let modelPath = o.modelPath ?? spec.model
        guard FileManager.default.fileExists(atPath: modelPath) else { throw StudyError.modelMissing(modelPath) }
        let folder = try TasksFolder(path: o.tasksDir)
        let data = DataDirectory(path: o.dataDir)
        // Tasks and data are read before the database is touched: bad input stores nothing.
        let tasks = try spec.tasks.map { e -> EvalTask in
            var s = try folder.spec(e.task)
            if let f = e.file { s.dataFile = f }
            return try EvalTask(spec: s, data: data)
        }
        let store = try LisaStore(path: o.dbPath)
        // The header gives the shape; the weights load only when a configuration is left to score.
        let config = try ModelConfig.read(from: GGUFFile(path: modelPath))
        let pairs = try spec.layerPairs(nLayers: config.nLayers, file: specPath)
        let recorder = try EvalRecorder.open(store: store, modelPath: modelPath, config: config)
        var loaded: LoadedModel?
        func model() throws -> LoadedModel {
            if let loaded { return loaded }
            o.log("loading \(modelPath)")
            let m = try o.loadModel?(modelPath, o.threads) ?? LoadedModel(path: modelPath, threads: o.threads)
            loaded = m
            return m
        }
        let params = spec.parametersJSON()
        let units = unitPlan(spec, pairs: pairs)
        let run: RunRecord
        switch try o.chooseRun(
            store: store, study: spec.name, modelId: recorder.modelId, parameters: params,
            seed: spec.seed, units: units.count)
        {
        case .finished(let old):
            guard o.shard == nil else {
                o.log(
                    "\(o.label(spec.name)): run \(old.id!) already finished in \(o.dbPath); merge it with `lisa "
                        + "merge`."
                )
                return StudyRunSummary(
                    runId: old.id!, alreadyFinished: true, samplesCaptured: 0, samplesResumed: 0,
                    tokens: old.tokens, captureSeconds: old.captureSeconds, reportFiles: [])
            }
            o.log(
                "study \(spec.name): run \(old.id!) already finished in \(o.dbPath); redrawing its report (use "
                    + "--force to recompute)."
            )
            let files = try SensitivityReport(store: store, spec: spec, runId: old.id!, reportsDir: o.reportsDir)
                .write()
            return StudyRunSummary(
                runId: old.id!, alreadyFinished: true, samplesCaptured: 0, samplesResumed: 0,
                tokens: old.tokens, captureSeconds: old.captureSeconds, reportFiles: files)
        case .toRun(let r): run = r
        }
        let runId = run.id!
        let loadBefore = loadAverage()

        func options(_ t: Int, _ p: AttentionPolicies) -> EvalOptions {
            EvalOptions(
                shots: spec.tasks[t].shots ?? tasks[t].spec.defaultShots, limit: spec.tasks[t].limit, seed: spec.seed,
                policies: p, batch: o.batch)
        }
        let mine = units.indices.filter { o.shard?.owns($0) ?? true }  // a shard runs its configurations only
        let perUnit = units.map { selectDocuments(tasks[$0.task], options: options($0.task, $0.policies)).count }
        let progress = ProgressReporter(total: mine.reduce(0) { $0 + perUnit[$1] }, label: "sensitivity \(spec.name)")
        var done = 0, resumed = 0, fresh = 0, tokens = 0, seconds = 0.0
        var outcomes: [UnitScore] = []
        for k in mine {
            let u = units[k], base = done
            let out = try recorder.run(
                tasks[u.task], model: model(), options: options(u.task, u.policies), studyRunId: runId,
                unit: u.label, resume: true, reuseFinished: !o.force
            ) { d, _ in progress.update(base + d, newTokens: 0) }
            done += perUnit[k]; resumed += out.resumedDocuments; fresh += out.result.n - out.resumedDocuments
            tokens += out.result.tokensRun; seconds += out.result.seconds
            let r = out.result
            outcomes.append(
                UnitScore(
                    task: u.task, key: u.key, metrics: r.metrics, standardErrors: r.standardErrors, n: r.n,
                    shots: r.shots, primaryMetric: r.primaryMetric, seconds: r.seconds))
            if o.throttleMilliseconds > 0 { usleep(UInt32(o.throttleMilliseconds) * 1000) }
        }
        progress.finish()
        try store.putResult(
            ["before": loadBefore, "after": loadAverage()], kind: .loadavg, runId: runId, task: RunFacts.machine)
        if let shard = o.shard {
            try store.finishRun(id: runId, captureSeconds: seconds, analysisSeconds: 0, tokens: tokens)
            o.log(
                "\(o.label(spec.name)): run \(runId) stored, \(mine.count) of \(units.count) configurations; "
                    + "merge the \(shard.count) shards with `lisa merge`")
            return StudyRunSummary(
                runId: runId, alreadyFinished: false, samplesCaptured: fresh, samplesResumed: resumed,
                tokens: tokens, captureSeconds: seconds, reportFiles: [])
        }
        // One sweep per task, from the stored units, kept as a study result (input of `lisa recommend --db`).
        for sweep in try sweeps(spec, nLayers: config.nLayers, pairs: pairs, units: outcomes) {
            try store.putResult(sweep, kind: .sensitivity, runId: runId, task: sweep.task)
        }
        try store.putLayout(runId: runId, config: config)
        try store.finishRun(id: runId, captureSeconds: seconds, analysisSeconds: 0, tokens: tokens)
        o.log(
            String(
                format: "study %@: run %lld stored, %d configurations, %d documents scored (%d resumed), %.1f s",
                spec.name, runId, units.count, fresh, resumed, seconds))
        let files = try SensitivityReport(store: store, spec: spec, runId: runId, reportsDir: o.reportsDir).write()
        return StudyRunSummary(
            runId: runId, alreadyFinished: false, samplesCaptured: fresh, samplesResumed: resumed,
            tokens: tokens, captureSeconds: seconds, reportFiles: files)
    }

    /// One configuration of the study: task (index into `spec.tasks`), what it runs, and its attention policies.
    struct Unit {
        let task: Int; let key: UnitKey; let policies: AttentionPolicies
        /// The stored evaluation run's `unit` ("baseline", "ds 3–4").
        var label: String { key.label }
    }

    /// What a configuration runs: the baseline, or one policy on one layer pair.
    enum UnitKey: Hashable {
        case baseline
        case pair(SweepPolicy, LayerPair)
        var label: String {
            switch self {
            case .baseline: return "baseline"
            case let .pair(p, pair): return "\(p.rawValue) \(pair.label)"
            }
        }
    }

    /// The work units in run order: per task, the baseline then (pair, policy) in sweep order (FIGURES.md Fig 6
    /// steps 1–3). A shard's units are numbered in this order.
    static func unitPlan(_ spec: SensitivityStudySpec, pairs: [LayerPair]) -> [Unit] {
        var units: [Unit] = []
        for t in spec.tasks.indices {
            units.append(Unit(task: t, key: .baseline, policies: AttentionPolicies()))
            for p in pairs {
                for pol in spec.sweepPolicies {
                    units.append(Unit(task: t, key: .pair(pol, p), policies: pairPolicies(p, pol.policy)))
                }
            }
        }
        return units
    }

    /// A configuration's outcome as the sweep reads it: scored now, or a stored evaluation run (`lisa merge`).
    struct UnitScore {
        let task: Int; let key: UnitKey
        let metrics: [String: Double]; let standardErrors: [String: Double]
        let n: Int; let shots: Int; let primaryMetric: String; let seconds: Double
    }

    /// One sweep per task of `spec` from its units' scores, given in run order (the seconds are summed in it).
    /// A policy the study does not run (uniform, when only ds is listed) scores NaN ("not measured"); a unit the
    /// study runs but `units` lacks, or a metric its run did not report, is an error naming it.
    static func sweeps(
        _ spec: SensitivityStudySpec, nLayers: Int, pairs: [LayerPair], units: [UnitScore]
    ) throws -> [SensitivityResult] {
        try spec.tasks.indices.compactMap { t -> SensitivityResult? in
            let mine = units.filter { $0.task == t }
            guard let first = mine.first else { return nil }
            let key = spec.tasks[t].metric ?? first.primaryMetric
            func score(_ unit: UnitKey) throws -> (Double, Double) {
                if case let .pair(p, _) = unit, !spec.sweepPolicies.contains(p) { return (.nan, .nan) }
                guard let u = mine.first(where: { $0.key == unit }), let v = u.metrics[key] else {
                    throw StudyError.missingUnit(
                        study: spec.name, task: spec.tasks[t].task, unit: unit.label, metric: key)
                }
                return (v, u.standardErrors[key] ?? .nan)
            }
            let (b, bse) = try score(.baseline)
            let scores = try pairs.map { p -> PairScore in
                let (d, dse) = try score(.pair(.ds, p)), (u, use) = try score(.pair(.uniform, p))
                return PairScore(pair: p, ds: d, dsStandardError: dse, uniform: u, uniformStandardError: use)
            }
            return SensitivityResult(
                task: spec.tasks[t].task, metric: key, shots: first.shots, n: first.n, seed: spec.seed,
                nLayers: nLayers, baseline: b, baselineStandardError: bse, pairs: scores,
                seconds: mine.reduce(0.0) { $0 + $1.seconds })
        }
    }
}

/// The stored sweeps of a finished sensitivity study run (task → sweep).
public func storedSweeps(store: LisaStore, runId: Int64) throws -> [String: SensitivityResult] {
    let dec = CanonicalJSON.decoder()
    var out: [String: SensitivityResult] = [:]
    for r in try store.results(runId: runId) where r.resultKind == .sensitivity {
        out[r.task] = try dec.decode(SensitivityResult.self, from: Data(r.value.utf8))
    }
    return out
}

/// The 1-, 5- and 15-minute load averages from /proc/loadavg (recorded beside measured times).
func loadAverage() -> [Double] {
    guard let s = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return [] }
    return s.split(separator: " ").prefix(3).compactMap { Double($0) }
}

/// A policy a sensitivity study sweeps over the layer pairs (the study file's `policies:`).
enum SweepPolicy: String, CaseIterable, Sendable {
    case ds, uniform
    var policy: AttentionPolicy { self == .ds ? .directShare(headMap: nil) : .uniform }
}

extension SensitivityStudySpec {
    /// `policies` as read (checked when the file was loaded).
    var sweepPolicies: [SweepPolicy] { policies.compactMap(SweepPolicy.init(rawValue:)) }
}
