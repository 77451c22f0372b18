import ArgumentParser
import Datasets
import Evaluation
import Foundation
import GGUF
import Models
import Store
import Studies

/// `lisa eval`: one lm-evaluation-harness style task (tasks/<name>.json) on one model.
struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "eval",
        abstract: "Score a model on a benchmark with lm-evaluation-harness conventions (tasks/*.json).",
        discussion: "Example: lisa eval models/gemma-3-270m-q4_k_m.gguf --task piqa --limit 100 --json")
    @OptionGroup var modelOptions: ModelOptions
    @Option(help: "Task name (a file tasks/<task>.json; folder from LISA_TASKS, ./tasks or beside the executable).") var task: String?
    @Option(help: "A task file instead of --task: an lm-eval task YAML (its dataset from --data, docs/evaluation.md) or a task JSON.")
    var taskFile: String?
    @Option(help: "Few-shot exemplars (default: the task's, FIGURES.md C8).") var shots: Int?
    @Option(help: "Evaluate a seeded sample of this many documents.") var limit: Int?
    @Option(help: "Seed for the --limit sample and the exemplar draw.") var seed: UInt64 = 1234
    @Option(help: "Data folder (default LISA_DATA, else ../shared/data).") var data: String?
    @Option(help: "Attention policies, e.g. \"ds:2,3 uniform:5\" (0-based layers).") var policies: String?
    @Option(help: "A sharing config (from `lisa recommend`); its ds/lisa layers run as DS.") var sharing: String?
    @Option(help: "A `lisa train` checkpoint: LiSA layers (low-rank K cache) or, for a ds-lora one, DS with the LoRA merged.")
    var lisa: String?
    @Flag(help: "With --lisa: NF decoding (§5.2, Table 10) — each context is prefilled with standard attention, continuations and generated tokens use the LiSA layers.")
    var nf = false
    @Option(help: "Write the full result (per-document scores included) as JSON to this file.") var out: String?
    @Option(help: "Append each document's result to this JSONL file as it is scored (a stopped run keeps its documents).") var partial: String?
    @Option(help: "Store the run and every document's result in this SQLite database (one transaction per document).") var db: String?
    @Flag(help: "With --db: continue the newest run with the same parameters, skipping stored documents.") var resume = false
    @Option(help: .hidden) var stopAfter: Int?
    @Option(help: "With --db: score only shard I of N (0-based) of the documents; then `lisa merge` the shards' databases.")
    var shard: String?
    @Option(help: "generate_until documents decoded together (1: one at a time; results are the same).") var batch = 8
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        if (task == nil) == (taskFile == nil) { throw ValidationError("Give exactly one of --task NAME and --task-file FILE.") }
        try validateSampling(limit: limit, shots: shots)
        if resume, db == nil { throw ValidationError("--resume needs --db FILE (the database holding the stopped run).") }
        if nf, lisa == nil { throw ValidationError("--nf needs --lisa CHECKPOINT (NF switches the LiSA layers off for the prefill).") }
        if try parseShard(shard) != nil {
            if db == nil { throw ValidationError("--shard needs --db FILE (each shard writes its own database; `lisa merge` joins them).") }
            if out != nil || partial != nil {
                throw ValidationError("--out and --partial would hold one shard's documents; merge the shards, then run with --db ALL --resume --out.")
            }
        }
    }

    func run() throws {
        let evalTask = try taskFile.map { try EvalTask.load(taskFile: $0, data: data, tasks: { try TasksFolder() }) }
            ?? EvalTask(spec: TasksFolder().spec(task ?? ""), data: DataDirectory(path: data))
        let spec = evalTask.spec
        // The database is opened before the model loads, so a bad --db path fails at once.
        let store = try db.map { p -> LisaStore in
            do { return try LisaStore(path: p) } catch { throw CLIError("--db: \(sentence(error))") }
        }
        let m = try modelOptions.load()
        var pol = try parsePolicies(policies ?? "")
        var sharingJSON: String?
        if let sharing {
            let cfg = try SharingConfig.load(path: sharing, modelPath: modelOptions.model)
            guard cfg.nLayers == m.config.nLayers else { throw CLIError("\(sharing) is for \(cfg.nLayers) layers, the model has \(m.config.nLayers).") }
            pol.byLayer.merge(cfg.policies.byLayer) { $1 }
            sharingJSON = cfg.json
        }
        let providers = try lisa.map { try lisaProviders(checkpoint: $0, model: m, modelPath: modelOptions.model, policies: &pol) } ?? [:]
        guard (1...256).contains(batch) else { throw ValidationError("--batch must be between 1 and 256, got \(batch).") }
        let opts = EvalOptions(shots: shots ?? spec.defaultShots, limit: limit, seed: seed, policies: pol, batch: batch)
        try checkLimit(limit, task: evalTask, shots: opts.shots)
        let total = selectDocuments(evalTask, options: opts).count
        let progress = Progress(total: try parseShard(shard)?.units(of: total).count ?? total, label: spec.name)
        let log = try partial.map { p -> FileHandle in
            _ = FileManager.default.createFile(atPath: p, contents: nil)  // failure surfaces as the nil handle below
            guard let h = FileHandle(forWritingAtPath: p) else { throw CLIError("--partial \(p) cannot be opened for writing: \(FileProblem.writing(p)).") }
            return h
        }
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        let r: TaskResult
        if let store {
            let rec = try EvalRecorder.open(store: store, modelPath: modelOptions.model, model: m)
            let checkpoint = try lisa.map { EvalRecorder.Checkpoint(sha256: try SHA256.hex(ofFile: $0), providers: providers, nf: nf) }
            do {
                let o = try rec.run(evalTask, model: m, options: opts, sharing: sharingJSON, checkpoint: checkpoint,
                                  resume: resume, stopAfter: stopAfter,
                                  shard: parseShard(shard)) { done, _ in
                    progress.update(done)
                }
                r = o.result
                if o.resumedDocuments > 0 {
                    FileHandle.standardError.write(Data("\nresumed evaluation run \(o.run.id!): \(o.resumedDocuments) of \(r.n) documents were stored\n".utf8))
                }
            } catch let e as EvalStoreError { throw CLIError(e.description) }
        } else {
            r = try evaluate(evalTask, model: m, options: opts, scoreProviders: providers, nf: nf, each: { d, _ in
                if let log, let line = try? enc.encode(d.result) { log.write(line + Data("\n".utf8)) }
            }) { done, _ in progress.update(done) }
        }
        progress.finish()
        if let out { try writeJSON(r, to: out) }
        if let shard { FileHandle.standardError.write(Data("shard \(shard): its documents only; `lisa merge` the shards for the run's result\n".utf8)) }
        print(json ? try summaryJSON(r) : summaryLine(r))
    }
}

/// "task shots N metric=value±se …, seconds".
func summaryLine(_ r: TaskResult) -> String {
    let ms = r.metrics.keys.sorted().map { k -> String in
        if let se = r.standardErrors[k] { return String(format: "%@ = %.4f ± %.4f", k, r.metrics[k]!, se) }
        return String(format: "%@ = %.4f", k, r.metrics[k]!)
    }
    return "\(r.task) \(r.shots)-shot n=\(r.n): " + ms.joined(separator: ", ") + String(format: "  (%.1f s, %d tokens)", r.seconds, r.tokensRun)
}

func summaryJSON(_ r: TaskResult) throws -> String {
    try jsonLine(["task": r.task, "shots": r.shots, "n": r.n, "seed": r.seed, "metrics": r.metrics,
                  "stderr": r.standardErrors, "primary": r.primaryMetric, "seconds": r.seconds, "tokens": r.tokensRun])
}

func writeJSON<T: Encodable>(_ value: T, to path: String) throws {
    let enc = JSONEncoder()
    enc.outputFormatting = [.prettyPrinted, .sortedKeys]
    try writeAtomically(enc.encode(value), to: path)
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
