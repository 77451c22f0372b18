import Basics
import ArgumentParser
import Datasets
import Evaluation
import Foundation
import Models
import Store
import Studies

/// `lisa eval`: one lm-evaluation-harness style task (tasks/<name>.json) on one model.
struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Score a model on a benchmark with lm-evaluation-harness conventions (tasks/*.json).",
        discussion: "Example: lisa eval models/gemma-3-270m-q4_k_m.gguf --task piqa --limit 100 --json")
    @OptionGroup var modelOptions: ModelOptions
    @Option(help: "Task name (a file tasks/<task>.json; folder from LISA_TASKS, ./tasks or beside the executable).")
    var task: String?
    @Option(
        help:
            ArgumentHelp(
                "A task file instead of --task: an lm-eval task YAML (its dataset from --data, docs/evaluation.md) "
                    + "or a "
                    + "task JSON.")
    )
    var taskFile: String?
    @Option(help: "Few-shot exemplars (default: the task's, FIGURES.md C8).") var shots: Int?
    @Option(help: "Evaluate a seeded sample of this many documents.") var limit: Int?
    @OptionGroup var seedOption: SeedOption
    @OptionGroup var dataOption: DataOption
    @Option(help: "Attention policies, e.g. \"ds:2,3 uniform:5\" (0-based layers).") var policies: String?
    @Option(help: "A sharing config (from `lisa recommend`); its ds/lisa layers run as DS.") var sharing: String?
    @Option(
        help:
            "A `lisa train` checkpoint: LiSA layers (low-rank K cache) or, for a ds-lora one, DS with the LoRA merged.")
    var lisa: String?
    @Flag(
        help:
            ArgumentHelp(
                "With --lisa: NF (§5.2, Table 10) — a context but its last token is prefilled with standard attention, that "
                    + "token and the continuation run through the LiSA layers; a generation prompt runs standard, its tokens LiSA.")
    )
    var nf = false
    @Option(help: "Write the full result (per-document scores included) as JSON to this file.") var out: String?
    @Option(
        help: "Append each document's result to this JSONL file as it is scored (a stopped run keeps its documents).")
    var partial: String?
    @OptionGroup var database: DatabaseOption
    @OptionGroup var resumeFlag: ResumeFlag
    @Option(help: .hidden) var stopAfter: Int?
    @Option(
        help: ArgumentHelp(
            "Another database whose runs equal this one but for --limit (repeatable): the documents of this run it "
                + "already scored are copied, not scored again.", valueName: "db"))
    var reuseFrom: [String] = []
    @OptionGroup var shardOption: ShardOption
    @Option(help: "generate_until documents decoded together (1: one at a time; results are the same).") var batch = 8
    @Flag(help: "Print JSON.") var json = false

    var db: String? { database.db }
    var resume: Bool { resumeFlag.resume }
    var shard: String? { shardOption.shard }
    var data: String? { dataOption.data }

    func validate() throws {
        if (task == nil) == (taskFile == nil) {
            throw ValidationError("Give exactly one of --task NAME and --task-file FILE.")
        }
        try validateSampling(limit: limit, shots: shots)
        if resume, db == nil {
            throw ValidationError("--resume needs --db FILE (the database holding the stopped run).")
        }
        if !reuseFrom.isEmpty, db == nil {
            throw ValidationError("--reuse-from needs --db FILE (the copied documents are stored in this run).")
        }
        for p in reuseFrom where !FileManager.default.fileExists(atPath: p) {
            throw ValidationError("--reuse-from \(p): no such database file.")
        }
        if nf, lisa == nil {
            throw ValidationError("--nf needs --lisa CHECKPOINT (NF switches the LiSA layers off for the prefill).")
        }
        if try shardOption.parsed() != nil {
            if db == nil {
                throw ValidationError(
                    "--shard needs --db FILE (each shard writes its own database; `lisa merge` joins them).")
            }
            if out != nil || partial != nil {
                throw ValidationError(
                    "--out and --partial would hold one shard's documents; merge the shards, then run with --db ALL "
                        + "--resume --out."
                )
            }
        }
    }

    func run() throws {
        let evalTask =
            try taskFile.map { try EvalTask.load(taskFile: $0, data: data, tasks: { try TasksFolder() }) }
            ?? EvalTask(spec: TasksFolder().spec(task ?? ""), data: DataDirectory(path: data))
        // The database is opened before the model loads, so a bad --db path fails at once.
        let store = try database.openIfGiven()
        guard (1...256).contains(batch) else {
            throw ValidationError("--batch must be between 1 and 256, got \(batch).")
        }
        var run = EvaluationRun(
            options: EvalOptions(
                shots: shots ?? evalTask.spec.defaultShots, limit: limit, seed: seedOption.seed,
                policies: try parsePolicies(policies ?? ""), batch: batch))
        run.sharing = sharing; run.checkpoint = lisa; run.nf = nf; run.store = store; run.resume = resume
        run.stopAfter = stopAfter; run.shard = try shardOption.parsed(); run.documentLog = partial
        run.reuseFrom = reuseFrom
        try checkLimit(limit, task: evalTask, shots: run.options.shots)
        let m = try modelOptions.load()
        let progress = ProgressReporter(total: run.documentCount(evalTask), label: evalTask.spec.name)
        let o: EvaluationRun.Outcome
        do {
            // the first call gives the documents a stopped run stored (see `evaluate`)
            var first = true
            o = try run.run(evalTask, model: m, modelPath: modelOptions.model) { done, _ in
                if first { progress.resumed(done); first = false } else { progress.update(done) }
            }
        } catch let e as EvalStoreError { throw CLIError(e.description) }
        progress.finish()
        if !reuseFrom.isEmpty, let id = o.run?.id {
            FileHandle.standardError.write(
                Data(
                    ("evaluation run \(id): \(o.reusedDocuments) \(o.reusedDocuments == 1 ? "document" : "documents") copied from "
                        + "\(reuseFrom.joined(separator: ", ")) (equal runs but for the limit)\n").utf8))
        }
        if o.resumedDocuments > 0, let id = o.run?.id {
            FileHandle.standardError.write(
                Data(
                    "resumed evaluation run \(id): \(o.resumedDocuments) of \(o.result.n) documents were stored\n".utf8)
            )
        }
        if let out { try writeJSON(o.result, to: out) }
        if let shard {
            FileHandle.standardError.write(
                Data("shard \(shard): its documents only; `lisa merge` the shards for the run's result\n".utf8))
        }
        print(json ? try summaryJSON(o.result) : summaryLine(o.result))
    }
}

/// "task shots N metric=value±se …, seconds".
func summaryLine(_ r: TaskResult) -> String {
    let ms = r.metrics.keys.sorted().map { k -> String in
        if let se = r.standardErrors[k] { return String(format: "%@ = %.4f ± %.4f", k, r.metrics[k]!, se) }
        return String(format: "%@ = %.4f", k, r.metrics[k]!)
    }
    return "\(r.task) \(r.shots)-shot n=\(r.n): " + ms.joined(separator: ", ")
        + String(format: "  (%.1f s, %d tokens)", r.seconds, r.tokensRun)
}

func summaryJSON(_ r: TaskResult) throws -> String {
    try jsonLine([
        "task": r.task, "shots": r.shots, "n": r.n, "seed": r.seed, "metrics": r.metrics,
        "stderr": r.standardErrors, "primary": r.primaryMetric, "seconds": r.seconds, "tokens": r.tokensRun,
    ])
}

func writeJSON<T: Encodable>(_ value: T, to path: String) throws {
    try writeAtomically(CanonicalJSON.data(value, pretty: true), to: path)
}

/// "ds:2,3 uniform:5 standard:7" → policies (0-based layers).
func parsePolicies(_ s: String) throws -> AttentionPolicies {
    var by: [Int: AttentionPolicy] = [:]
    for part in s.split(separator: " ") {
        let kv = part.split(separator: ":")
        guard kv.count == 2 else { throw ValidationError("--policies: \"\(part)\" is not mode:layers (e.g. ds:2,3).") }
        let mode: AttentionPolicy
        switch kv[0] {
        case "ds": mode = .directShare(headMap: nil)
        case "uniform": mode = .uniform
        case "standard": mode = .standard
        default: throw ValidationError("--policies: unknown mode \"\(kv[0])\" (ds, uniform, standard).")
        }
        for l in kv[1].split(separator: ",") {
            guard let i = Int(l) else { throw ValidationError("--policies: \"\(l)\" is not a layer index.") }
            by[i] = mode
        }
    }
    return AttentionPolicies(by)
}
