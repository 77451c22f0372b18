import Basics
import Evaluation
import Foundation
import LiSA
import Models
import Store

/// `lisa eval` as one call: a task on a loaded model with its attention changed by policies, a sharing config's
/// DS layers and/or a trained checkpoint; recorded in a study database (resumable, shardable) or not, and each
/// newly scored document optionally appended to a JSONL log. The result names all three (policies, sharing,
/// checkpoint SHA-256), as its run record does.
public struct EvaluationRun {
    public var options: EvalOptions
    /// A sharing config file (`lisa recommend`): its shared layers run as DS.
    public var sharing: String?
    /// A `lisa train` checkpoint (LiSA or ds-lora).
    public var checkpoint: String?
    /// NF decoding with the checkpoint (§5.2).
    public var nf = false
    public var store: LisaStore?
    public var resume = false
    /// Stop with an error after this many newly stored documents (tests of --resume).
    public var stopAfter: Int?
    public var shard: Shard?
    /// Append each newly scored document's result to this JSONL file (not with a store).
    public var documentLog: String?
    /// Other databases whose runs equal this one but for the limit: the documents they hold are copied, not scored
    /// (`EvalRecorder.reuseDocuments`; with a store only).
    public var reuseFrom: [String] = []

    public init(options: EvalOptions) { self.options = options }

    public struct Outcome {
        public var result: TaskResult
        /// The stored run (nil without a store).
        public var run: EvalRunRecord?
        public var resumedDocuments: Int
        /// Of `resumedDocuments`, those copied from `reuseFrom`.
        public var reusedDocuments = 0
    }

    /// How many documents this run scores (its shard's, with one): the progress total.
    public func documentCount(_ task: EvalTask) -> Int {
        let total = selectDocuments(task, options: options).count
        return shard?.units(of: total).count ?? total
    }

    /// Runs `task` on `model` (loaded from `modelPath`: a checkpoint and a sharing config must be for that file).
    public func run(
        _ task: EvalTask, model: LoadedModel, modelPath: String,
        progress: ((Int, Int) -> Void)? = nil
    ) throws -> Outcome {
        var opts = options
        let sharing = try self.sharing.map { p -> SharingConfig in
            let c = try SharingConfig.load(path: p, modelPath: modelPath)
            guard c.nLayers == model.config.nLayers else {
                throw ModelError.badSharingConfig(
                    path: p, reason: "it is for \(c.nLayers) layers, the model has \(model.config.nLayers)")
            }
            return c
        }
        if let sharing { opts.policies.byLayer.merge(sharing.policies.byLayer) { $1 } }
        let trained = try checkpoint.map { try TrainedCheckpoint.open($0, model: model, modelPath: modelPath, nf: nf) }
        if let trained { opts.policies.byLayer.merge(trained.policies.byLayer) { $1 } }
        var result: TaskResult, record: EvalRunRecord?, resumed = 0, reused = 0
        if let store {
            let recorder = try EvalRecorder.open(store: store, modelPath: modelPath, model: model)
            let o = try recorder.run(
                task, model: model, options: opts, sharing: sharing,
                checkpoint: trained.map { EvalRecorder.Checkpoint(identity: $0.identity, providers: $0.providers) },
                resume: resume, stopAfter: stopAfter, shard: shard, reuseFrom: reuseFrom, progress: progress)
            result = o.result; record = o.run; resumed = o.resumedDocuments; reused = o.reusedDocuments
        } else {
            let log = try documentLog.map(Self.openLog)
            defer { try? log?.close() }
            result = try evaluate(
                task, model: model, options: opts, scoreProviders: trained?.providers ?? [:], nf: nf,
                each: { d, _ in log?.write(CanonicalJSON.data(d.result) + Data("\n".utf8)) }, progress: progress)
            result.sharing = sharing
            result.checkpoint = trained?.identity
        }
        return Outcome(result: result, run: record, resumedDocuments: resumed, reusedDocuments: reused)
    }

    static func openLog(_ path: String) throws -> FileHandle {
        _ = FileManager.default.createFile(atPath: path, contents: nil)  // a failure surfaces as the nil handle below
        guard let h = FileHandle(forWritingAtPath: path) else {
            throw EvalStoreError.unwritableLog(path: path, reason: FileProblem.writing(path))
        }
        return h
    }
}
