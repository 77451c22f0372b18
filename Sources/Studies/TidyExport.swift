import Basics
import Foundation
import Store

/// `lisa export --tidy`: the tidy CSVs a study report writes beside report.md (issue 17, item 4), for any
/// finished or interrupted run in the database, from its stored results alone.
public enum TidyExport {
    /// Writes the CSVs into `dir` and returns their paths.
    @discardableResult
    public static func write(store: LisaStore, runId: Int64, to dir: URL) throws -> [URL] {
        let run = try store.run(id: runId)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let globals = store.globalLayers(runId: runId)
        let data = StudyData(dir: dir, seed: UInt64(bitPattern: run.seed) ^ 0xB0075_7A9, globals: Set(globals))
        var files: [String] = []
        for r in try store.results(runId: runId) where r.sampleId == 0 && !r.task.hasPrefix("_") {
            switch r.resultKind {
            case let k? where k == .s1 || k == .s1ExclFirst:
                files += try data.s1(ResultJSON.decode(S1Result.self, r.value), task: r.task, kind: k)
            case .twoSentence?:
                files += try data.twoSentence(ResultJSON.decode(TwoSentenceResult.self, r.value), task: r.task)
            case .s2?: files += try data.s2(ResultJSON.decode(S2Result.self, r.value), task: r.task)
            case .cosine?: files += try data.cosine(ResultJSON.decode(CosineResult.self, r.value), task: r.task)
            case .distributions?:
                files += try data.distributions(ResultJSON.decode(DistributionsResult.self, r.value), task: r.task)
            case .topK?: files += try data.topK(ResultJSON.decode(TopKResult.self, r.value), name: r.task)
            case .topKStep(let step)?:
                files += try data.topK(
                    ResultJSON.decode(GenerationTopKResult.self, r.value).topK, name: "\(r.task)_step\(step)")
            default: break
            }
        }
        for (task, sweep) in try storedSweeps(store: store, runId: runId) {
            let name = "\(task)_sensitivity.csv"
            try writeAtomically(
                Data(SensitivityReport.csv(SensitivityReport.stats(store: store, runId: runId, sweep: sweep)).utf8),
                to: dir.appendingPathComponent(name).path)
            files.append(name)
        }
        return files.map { dir.appendingPathComponent($0) }
    }
}
