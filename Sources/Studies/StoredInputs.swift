import Analysis
import Basics
import Evaluation
import Foundation
import Store

// What `lisa recommend --db` and `lisa table9` read from the study database: a sensitivity sweep
// (Fig 9 study), the adjacent-layer JSD (Fig 3 study, S1 or S2) and finished evaluation runs.

public enum StoredInputError: Error, CustomStringConvertible, Equatable {
    case noStudy(study: String, db: String)
    case noTask(study: String, task: String, available: [String], db: String)
    case otherModel(study: String, db: String, stored: String, given: String)
    case noEvalRuns(what: String, db: String)

    public var description: String {
        switch self {
        case .noStudy(let s, let db):
            return
                "The database \(db) holds no finished run of study \"\(s)\"; run `lisa study run studies/\(s).yaml "
                + "--db \(db)` first."
        case .noTask(let s, let t, let a, let db):
            return
                "The finished run of study \"\(s)\" in \(db) has no \(t) result (it has: "
                + "\(a.isEmpty ? "none" : a.joined(separator: ", ")))."
        case .otherModel(let s, let db, let stored, let given):
            return
                "Study \"\(s)\" in \(db) was run on the model with sha256 \(stored.prefix(16))…, not on the given "
                + "model (\(given.prefix(16))…)."
        case .noEvalRuns(let what, let db):
            return "The database \(db) holds no finished evaluation runs \(what); run `lisa eval … --db \(db)` first."
        }
    }
}

public struct StoredInputs {
    public let store: LisaStore
    public init(store: LisaStore) { self.store = store }

    func finishedRun(_ study: String, modelSHA256: String?) throws -> RunRecord {
        guard let run = try store.latestFinishedRun(study: study) else {
            throw StoredInputError.noStudy(study: study, db: store.path)
        }
        if let sha = modelSHA256, let m = try store.model(id: run.modelId), m.sha256 != sha {
            throw StoredInputError.otherModel(study: study, db: store.path, stored: m.sha256, given: sha)
        }
        return run
    }

    /// The sweep of `task` (default: the study file's first task) from the newest finished run of `study`.
    public func sweep(study: String, task: String?, modelSHA256: String?) throws -> SensitivityResult {
        let run = try finishedRun(study, modelSHA256: modelSHA256)
        let sweeps = try storedSweeps(store: store, runId: run.id!)
        struct P: Decodable { struct T: Decodable { let task: String }; let tasks: [T]? }
        let order =
            (try? CanonicalJSON.decoder().decode(P.self, from: Data(run.parameters.utf8)))?.tasks?.map(\.task)
            ?? sweeps.keys.sorted()
        let name = task ?? order.first ?? ""
        guard let s = sweeps[name] else {
            throw StoredInputError.noTask(study: study, task: name, available: sweeps.keys.sorted(), db: store.path)
        }
        return s
    }

    /// `adjacent[k]` = JSD(layer k, layer k+1) of `task` from the newest finished run of `study`: the S1
    /// adjacent entries (head-averaged rows, C5) or, with `scheme` s2, the S2 position curve.
    public func adjacentJSD(study: String, task: String, scheme: JSDScheme, modelSHA256: String?) throws -> [Double] {
        let run = try finishedRun(study, modelSHA256: modelSHA256)
        let kind = scheme.kind
        guard let v = try store.result(runId: run.id!, task: task, kind: kind.rawValue) else {
            let have = try store.results(runId: run.id!).filter { $0.resultKind == kind }.map(\.task)
            throw StoredInputError.noTask(
                study: study, task: "\(task) \(kind.rawValue.uppercased())", available: have, db: store.path)
        }
        if kind == .s1 { return try ResultJSON.decode(S1Result.self, v).adjacent }
        let curves = try ResultJSON.decode(S2Result.self, v).curves
        guard let position = curves["position"] else {
            throw StoredInputError.noTask(
                study: study, task: "\(task) S2 position curve", available: curves.keys.sorted(), db: store.path)
        }
        return position
    }
}

/// Which similarity drives the recommender's rule 1: S1 (head-averaged rows) or S2 (the per-head position curve).
public enum JSDScheme: String, CaseIterable, Sendable {
    case s1, s2
    var kind: ResultKind { self == .s1 ? .s1 : .s2 }
}
