import Basics
import ArgumentParser
import Datasets
import Evaluation
import Foundation
import Models
import Store
import Studies

/// `lisa sensitivity`: Fig 6 / Fig 9 — DS and uniform attention on successive layer pairs.
struct SensitivityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sensitivity",
        abstract:
            "Score a task with DS and with uniform attention on each layer pair 3–4, 5–6, … (1-based; Fig 6, Fig 9).",
        discussion: "Example: lisa sensitivity models/gemma-3-270m-q4_k_m.gguf --task piqa --limit 100 --out sweep.json"
    )
    @OptionGroup var modelOptions: ModelOptions
    @Option(help: "Task name (tasks/<task>.json).") var task = "piqa"
    @Option(help: "Few-shot exemplars (default: the task's).") var shots: Int?
    @Option(help: "Evaluate a seeded sample of this many documents (the same for every configuration).") var limit: Int?
    @OptionGroup var seedOption: SeedOption
    @Option(help: "Metric to compare (default: the task's primary metric, FIGURES.md C8).") var metric: String?
    @OptionGroup var dataOption: DataOption
    @Option(help: "Write the sweep as JSON (input of `lisa recommend`).") var out: String?
    @Option(help: "generate_until documents decoded together (1: one at a time; results are the same).") var batch = 8
    @OptionGroup var database: DatabaseOption
    @OptionGroup var resumeFlag: ResumeFlag
    @OptionGroup var shardOption: ShardOption
    @OptionGroup var reportsOption: ReportsOption

    var db: String? { database.db }
    var resume: Bool { resumeFlag.resume }
    var shard: String? { shardOption.shard }
    var seed: UInt64 { seedOption.seed }

    func validate() throws {
        try validateSampling(limit: limit, shots: shots)
        if db == nil, resume || shard != nil { throw ValidationError("--resume and --shard need --db FILE.") }
        if try shardOption.parsed() != nil, out != nil {
            throw ValidationError(
                "--out would hold one shard's configurations; merge the shards, then run with --db ALL --resume --out.")
        }
        if db != nil, modelOptions.weights != .quantized || modelOptions.kv != nil || modelOptions.products != nil {
            throw ValidationError(
                "--weights, --kv and --products are not available with --db (a stored sweep runs the defaults).")
        }
    }

    func run() throws {
        let spec = try TasksFolder().spec(task)
        if let metric, !spec.metricNames.contains(metric) {
            throw EvalError.unknownMetric(task: spec.name, metric: metric, known: spec.metricNames)
        }
        guard (1...256).contains(batch) else {
            throw ValidationError("--batch must be between 1 and 256, got \(batch).")
        }
        let evalTask = try EvalTask(spec: spec, data: DataDirectory(path: dataOption.data))
        try checkLimit(limit, task: evalTask, shots: shots ?? spec.defaultShots)
        var r = SensitivitySweepRequest(
            modelPath: modelOptions.model, task: task, seed: seed, threads: modelOptions.threads)
        r.shots = shots; r.limit = limit; r.metric = metric; r.dataDir = dataOption.data; r.batch = batch
        r.database = db; r.resume = resume; r.shard = try shardOption.parsed(); r.reportsDir = reportsOption.reports
        r.loadModel = { _, _ in try modelOptions.load() }
        let out: (sweep: SensitivityResult?, run: StudyRunSummary)
        do {
            out = try SensitivitySweep.run(r, evaluable: evalTask.evaluable(shots: shots ?? spec.defaultShots).count)
        } catch let e as ValidationError { throw e } catch { throw CLIError(sentence(error)) }
        guard let sweep = out.sweep else {
            print(
                "run \(out.run.runId): shard \(shard ?? ""): \(out.run.samplesCaptured) documents scored, "
                    + "\(out.run.samplesResumed) resumed; merge with `lisa merge`")
            return
        }
        if let path = self.out { try writeJSON(sweep, to: path) }
        print(sensitivityTable(sweep))
    }
}

/// The sweep as text: per pair (1-based and 0-based) DS and uniform scores with ±s.e. and the 90 % marker
/// (▲ ≥ 0.9 × baseline, ● below; C9), then the Fig 9 ranking.
func sensitivityTable(_ r: SensitivityResult) -> String {
    var lines = [
        String(
            format: "%@ %d-shot, n = %d, %@; baseline %.2f ± %.2f %% (%.0f s)", r.task, r.shots, r.n, r.metric,
            100 * r.baseline, 100 * r.baselineStandardError, r.seconds),
        "pair (1-based)  layers (0-based)   DS %             uniform %",
    ]
    func mark(_ ok: Bool) -> String { ok ? "▲" : "●" }
    for p in r.pairs {
        // Foundation on Linux ignores widths on %@, so the text columns are padded by hand.
        let cols =
            p.pair.label.padding(toLength: 16, withPad: " ", startingAt: 0)
            + "\(p.pair.first), \(p.pair.second)".padding(toLength: 19, withPad: " ", startingAt: 0)
        lines.append(
            cols
                + String(
                    format: "%5.1f ± %4.1f %@   %5.1f ± %4.1f %@", 100 * p.ds, 100 * p.dsStandardError,
                    mark(p.dsAtLeast90(baseline: r.baseline)),
                    100 * p.uniform, 100 * p.uniformStandardError, mark(p.uniformAtLeast90(baseline: r.baseline))))
    }
    lines.append("robustness ranking (DS score, ties by uniform, then deeper first):")
    for (i, p) in r.ranking.enumerated() {
        lines.append(
            String(
                format: "%2d. %@ (0-based %d, %d)  %.1f %%  = %.3f × baseline", i + 1, p.pair.label, p.pair.first,
                p.pair.second, 100 * p.ds, r.baseline > 0 ? p.ds / r.baseline : 0))
    }
    return lines.joined(separator: "\n")
}
