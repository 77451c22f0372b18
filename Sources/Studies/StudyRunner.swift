import Basics
import Analysis
import Datasets
import Foundation
import GGUF
import Models
import Store

/// How `lisa study run` was invoked.
public struct StudyRunOptions {
    public var modelPath: String?
    public var dbPath: String
    public var dataDir: String?
    public var reportsDir: String
    public var resume: Bool
    public var force: Bool
    public var threads: Int
    /// Sleep after each stored sample (tests use it to interrupt a run part-way).
    public var throttleMilliseconds: Int
    /// tasks/ folder for sensitivity studies (default: LISA_TASKS, ./tasks or beside the executable).
    public var tasksDir: String?
    /// Run only this shard's work units (samples; configurations of a sensitivity study) into `dbPath`; the
    /// analyses and the report wait for `lisa merge`.
    public var shard: Shard?
    public var log: (String) -> Void
    /// Loads the model of a sensitivity study (default: `LoadedModel(path:threads:)`; `lisa sensitivity` without a
    /// database passes its --weights/--kv/--products).
    public var loadModel: ((String, Int) throws -> LoadedModel)?
    /// generate_until documents decoded together in a sensitivity study (the results do not depend on it).
    public var batch = 8

    public init(
        modelPath: String? = nil, dbPath: String = "reports/lisa.sqlite", dataDir: String? = nil,
        reportsDir: String = "reports", resume: Bool = false, force: Bool = false, threads: Int = 2,
        throttleMilliseconds: Int = 0, tasksDir: String? = nil, shard: Shard? = nil,
        log: @escaping (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
    ) {
        self.modelPath = modelPath; self.dbPath = dbPath; self.dataDir = dataDir; self.reportsDir = reportsDir
        self.resume = resume; self.force = force; self.threads = threads
        self.throttleMilliseconds = throttleMilliseconds; self.tasksDir = tasksDir; self.shard = shard; self.log = log
    }

    /// What a study run continues or starts.
    enum RunChoice {
        /// The newest run with these parameters has finished (what that means is the caller's).
        case finished(RunRecord)
        /// An interrupted run continued (`resume`), or a new one (none yet, or `force`).
        case toRun(RunRecord)
    }

    /// The newest run of `study` with these parameters (and this shard) unless `force`: finished, or interrupted —
    /// continued with `resume`, else an error naming it; without one, a new run of `units` work units.
    func chooseRun(
        store: LisaStore, study: String, modelId: Int64, parameters: String, seed: UInt64, units: Int
    ) throws
        -> RunChoice
    {
        if let old = try store.latestRun(study: study, modelId: modelId, parameters: parameters, shard: shard), !force {
            if old.status == .finished { return .finished(old) }
            guard resume else { throw StudyError.interruptedRun(study: study, runId: old.id!, db: dbPath) }
            return .toRun(old)
        }
        return .toRun(
            try store.createRun(
                study: study, modelId: modelId, parameters: parameters, seed: seed, toolVersion: studiesToolVersion,
                shard: shard, units: units))
    }

    /// "study fig3" or "study fig3, shard 1/4" for messages.
    func label(_ study: String) -> String { "study \(study)" + (shard.map { ", shard \($0)" } ?? "") }
}

/// What a study run did.
public struct StudyRunSummary {
    public var runId: Int64
    public var alreadyFinished: Bool
    public var samplesCaptured: Int
    public var samplesResumed: Int
    public var tokens: Int
    public var captureSeconds: Double
    public var reportFiles: [String]
}

/// capture → store → analyses → plots → report (ARCHITECTURE.md), resumable from the store.
public enum StudyRunner {
    public static func run(specPath: String, options o: StudyRunOptions) throws -> StudyRunSummary {
        guard FileManager.default.fileExists(atPath: specPath) else { throw StudyError.missingFile(specPath) }
        if studyKind(specPath) == .sensitivity { return try SensitivityStudy.run(specPath: specPath, options: o) }
        let spec = try StudySpec.load(specPath)
        let modelPath = o.modelPath ?? spec.model
        guard FileManager.default.fileExists(atPath: modelPath) else { throw StudyError.modelMissing(modelPath) }
        // Inputs are read and validated before the database is touched: bad input stores nothing.
        let data = DataDirectory(path: o.dataDir)
        let tasks = try spec.tasks()
        var inputs: [StudyInput] = []
        for (d, t) in zip(spec.datasets, tasks) {
            inputs += try studyInputs(t, data: data, n: d.samples, seed: spec.seed, file: d.file)
        }
        let store = try LisaStore(path: o.dbPath)
        let sha = try store.sha256(ofModelAt: modelPath)
        var loaded: LoadedModel?
        func model() throws -> LoadedModel {
            if let m = loaded { return m }
            o.log("loading \(modelPath)")
            // captures take the Float32 path's numbers: exact products, Float32 K/V
            let m = try LoadedModel(path: modelPath, threads: o.threads, exact: true)
            loaded = m
            return m
        }
        let c = try ModelConfig.read(from: GGUFFile(path: modelPath))  // the weights load only if samples are left
        let modelRec = try store.registerModel(
            ModelRecord(
                sha256: sha, fileName: URL(fileURLWithPath: modelPath).lastPathComponent,
                arch: c.arch.rawValue, nLayers: c.nLayers, nHeads: c.nHeads,
                nKVHeads: c.nKVHeads, headDim: c.headDim))
        let params = spec.parametersJSON()
        let run: RunRecord
        switch try o.chooseRun(
            store: store, study: spec.name, modelId: modelRec.id!, parameters: params, seed: spec.seed,
            units: inputs.count)
        {
        case .finished(let old):
            o.log(
                "\(o.label(spec.name)): run \(old.id!) already finished in \(o.dbPath); nothing to do (use "
                    + "--force to recompute, `lisa report` to redraw)."
            )
            return StudyRunSummary(
                runId: old.id!, alreadyFinished: true, samplesCaptured: 0, samplesResumed: 0,
                tokens: old.tokens, captureSeconds: old.captureSeconds, reportFiles: [])
        case .toRun(let r): run = r
        }
        let runId = run.id!
        try store.putLayout(runId: runId, config: c)

        // Capture: one forward per input, last-token rows of every layer and head (FIGURES.md C3).
        let done = try store.capturedSamples(runId: runId)
        var seconds = done.values.reduce(0) { $0 + $1.seconds }
        var tokens = done.values.reduce(0) { $0 + $1.tokens }
        let mine = inputs.enumerated().filter { o.shard?.owns($0.offset) ?? true }
        let todo = mine.filter { done["\($0.element.task.rawValue)/\($0.element.recordIndex)"] == nil }
        if !done.isEmpty {
            o.log("\(o.label(spec.name)): resuming run \(runId), \(done.count) of \(mine.count) samples already stored")
        }
        let progress = ProgressReporter(total: todo.count, label: "capture \(spec.name)")
        for (k, (ordinal, input)) in todo.enumerated() {
            let m = try model()
            let ids = m.encode(input.text)
            let t0 = Date()
            let tap = LastRowCapture(layers: m.config.nLayers)
            let cosTap = spec.analyses.contains(.submoduleCosine) ? SubmoduleCosineTap(config: m.config) : nil
            _ = try m.transformer.forward(
                ids, cache: m.transformer.makeCache(reserve: ids.count), logits: .none,
                tap: cosTap.map { TapGroup([tap, $0]) } ?? tap)
            let dt = Date().timeIntervalSince(t0)
            try store.storeSample(
                runId: runId, modelId: modelRec.id!, task: input.task.rawValue,
                file: spec.datasets[tasks.firstIndex(of: input.task)!].file ?? input.task.defaultFile,
                recordIndex: input.recordIndex, text: input.text, tokenIds: ids, ordinal: ordinal,
                seconds: dt, rows: tap.rows,
                results: cosTap.map { [(ResultKind.cosine.rawValue, ResultJSON.encode($0.cosine))] } ?? [])
            seconds += dt; tokens += ids.count
            progress.update(k + 1, newTokens: ids.count)
            if o.throttleMilliseconds > 0 { usleep(UInt32(o.throttleMilliseconds) * 1000) }
        }
        progress.finish()

        // The story prompt's generation is one more unit, shard 0's.
        if let g = spec.generation, (o.shard?.index ?? 0) == 0 {
            o.log("study \(spec.name): generating \(g.steps.max() ?? 0) tokens for the story prompt")
            try GenerationTopK.run(g, model: try model(), store: store, runId: runId)
        }
        if let shard = o.shard {
            try store.finishRun(id: runId, captureSeconds: seconds, analysisSeconds: 0, tokens: tokens)
            o.log(
                "\(o.label(spec.name)): run \(runId) stored, \(mine.count) of \(inputs.count) samples; "
                    + "merge the \(shard.count) shards with `lisa merge`")
            return StudyRunSummary(
                runId: runId, alreadyFinished: false, samplesCaptured: todo.count, samplesResumed: done.count,
                tokens: tokens, captureSeconds: seconds, reportFiles: [])
        }
        let a0 = Date()
        let tk = try model().tokenizer
        try StudyAnalyses(store: store, runId: runId, spec: spec, piece: { tk.piece($0) }).run()
        let analysisSeconds = Date().timeIntervalSince(a0)
        try store.finishRun(id: runId, captureSeconds: seconds, analysisSeconds: analysisSeconds, tokens: tokens)
        o.log(
            String(
                format:
                    "study %@: run %lld stored, %d samples, %d tokens, capture %.1f s (%.0f tok/s), analyses %.1f s",
                spec.name, runId, inputs.count, tokens, seconds, Double(tokens) / max(seconds, 1e-9), analysisSeconds))
        let files = try StudyReport(
            store: store, spec: spec, runId: runId, reportsDir: o.reportsDir, modelPath: modelPath
        ).write()
        return StudyRunSummary(
            runId: runId, alreadyFinished: false, samplesCaptured: todo.count, samplesResumed: done.count,
            tokens: tokens, captureSeconds: seconds, reportFiles: files)
    }
}

public let studiesToolVersion = "lisa-studies 0.1.0"
