import Basics
import Datasets
import Foundation
import Models
import Yams

/// The analyses a study can ask for (FIGURES.md C5 and the figures named).
public enum StudyAnalysis: String, Codable, CaseIterable, Sendable {
    case s1  // Fig 3/11: S1 matrix per task
    case s1ExclFirst = "s1_excl_first"  // Fig 4b: first-token ablation
    case s2  // Fig 5b–d: S2 position / random / similarity (+ Hungarian, static map)
    case twoSentence = "two_sentence"  // Fig 4a: two-sentence baseline
    case topK = "top_k"  // Table 11: top-5 attended tokens, first sample of each task
    case distributions  // Fig 12: distribution pairs nearest target JSDs
    case submoduleCosine = "submodule_cosine"  // Fig 5a: cosine of Q, K, V, A, P, C, O between adjacent layers
}

/// The plots a study can draw from its stored results.
public enum StudyPlot: String, Codable, CaseIterable, Sendable {
    case s1Heatmap = "s1_heatmap"
    case s1ExclFirstHeatmap = "s1_excl_first_heatmap"
    case twoSentenceHeatmap = "two_sentence_heatmap"
    case s2Lines = "s2_lines"
    case distributions
    case cosineLines = "cosine_lines"
}

/// One task of a study and how many samples to draw from it (FIGURES.md C7).
public struct StudyDataset: Codable, Equatable, Sendable {
    public var task: String
    public var samples: Int
    public var file: String?
}

/// A study file (studies/*.yaml): model, data, samples, seed, analyses, plots, and the paper's claim.
public struct StudySpec: Codable, Sendable {
    public var name: String
    public var title: String
    public var model: String
    public var seed: UInt64
    public var datasets: [StudyDataset]
    public var analyses: [StudyAnalysis]
    public var plots: [StudyPlot]
    /// The paper's claim, quoted in report.md beside our numbers.
    public var claim: String?
    /// Deviations from the paper / FIGURES.md defaults, listed in report.md.
    public var deviations: [String]?
    /// Quoted claims with machine-checkable verdict rules (studies/VERDICTS.md); report.md's verdict table.
    public var claims: [ClaimSpec]?
    /// Table 11's story-prompt columns: a prompt decoded greedily, top-k rows at the given steps.
    public var generation: StudyGeneration?

    /// The tasks in file order, validated.
    public func tasks() throws -> [StudyTask] {
        try datasets.map { d in
            guard let t = StudyTask(rawValue: d.task) else { throw StudyError.unknownTask(d.task) }
            return t
        }
    }
}

/// Study failures, each a sentence naming the file or option.
public enum StudyError: Error, CustomStringConvertible {
    case missingFile(String)
    case malformed(file: String, reason: String)
    case unknownTask(String)
    case badSampleCount(task: String, count: Int)
    case emptyStudy(file: String)
    case interruptedRun(study: String, runId: Int64, db: String)
    case noResults(study: String, what: String)
    case modelMissing(String)
    case missingUnit(study: String, task: String, unit: String, metric: String)

    public var description: String {
        switch self {
        case .missingFile(let f): return "The study file \(f) does not exist (see `lisa study list`)."
        case .malformed(let f, let r): return "The study file \(f) is not a valid study: \(r)."
        case .unknownTask(let t):
            return
                "Unknown dataset \"\(t)\"; the study tasks are "
                + "\(StudyTask.allCases.map(\.rawValue).joined(separator: ", "))."
        case .badSampleCount(let t, let n): return "The sample count \(n) for \(t) is out of range (1…10000)."
        case .emptyStudy(let f): return "The study file \(f) names no datasets."
        case .interruptedRun(let s, let id, let db):
            return
                "Study \(s) has an interrupted run (id \(id)) in \(db); continue it with --resume or start afresh "
                + "with --force."
        case .noResults(let s, let what): return "The stored run of \(s) has no \(what); re-run the study with --force."
        case .modelMissing(let p):
            return "The model file \(p) does not exist; give the model after the study file or fix `model:` in it."
        case let .missingUnit(s, t, u, m):
            return "Study \(s) has no \(m) for the configuration \"\(u)\" of task \(t); its sweep cannot be computed."
        }
    }
}

extension StudySpec {
    /// Reads and validates a study file.
    public static func load(_ path: String) throws -> StudySpec {
        let spec: StudySpec = try decodeStudyFile(path)
        guard !spec.datasets.isEmpty else { throw StudyError.emptyStudy(file: path) }
        _ = try spec.tasks()
        try validateClaims(spec.claims, file: path)
        for d in spec.datasets where !(1...10_000).contains(d.samples) {
            throw StudyError.badSampleCount(task: d.task, count: d.samples)
        }
        if let g = spec.generation, g.steps.isEmpty || g.steps.contains(where: { !(1...8192).contains($0) }) {
            throw StudyError.malformed(file: path, reason: "generation.steps must be 1 to 8192, got \(g.steps)")
        }
        return spec
    }

    /// Canonical JSON of everything that determines the stored numbers (the run's identity).
    public func parametersJSON() -> String {
        struct P: Encodable {
            let datasets: [StudyDataset]; let seed: UInt64; let analyses: [String]; let capture: String;
            let generation: StudyGeneration?
        }
        let p = P(
            datasets: datasets, seed: seed, analyses: analyses.map(\.rawValue), capture: "last_row",
            generation: generation)
        return CanonicalJSON.string(p)
    }
}

/// Reads a study file as `T`: a missing or unreadable file, an empty one, a top level that is not a mapping
/// and a field of the wrong type each get a sentence naming the file (and the field, in words).
func decodeStudyFile<T: Decodable>(_ path: String) throws -> T {
    guard FileManager.default.fileExists(atPath: path) else { throw StudyError.missingFile(path) }
    guard let data = FileManager.default.contents(atPath: path) else {
        throw StudyError.malformed(file: path, reason: "it cannot be read: \(FileProblem.reading(path))")
    }
    guard let text = String(data: data, encoding: .utf8) else {
        throw StudyError.malformed(file: path, reason: "it is not UTF-8 text")
    }
    let node: Node?
    do { node = try Yams.compose(yaml: text) } catch {
        throw StudyError.malformed(file: path, reason: "it is not valid YAML (\(error))")
    }
    switch node {
    case nil:
        throw StudyError.malformed(file: path, reason: "it is empty (a study file is a mapping: name:, datasets:, …)")
    case .mapping?: break
    case .sequence?:
        throw StudyError.malformed(file: path, reason: "its top level is a list, not a mapping (name:, datasets:, …)")
    case .scalar?, .alias?:
        throw StudyError.malformed(
            file: path, reason: "its top level is a single value, not a mapping (name:, datasets:, …)")
    }
    do { return try YAMLDecoder().decode(T.self, from: text) } catch let e as DecodingError {
        throw StudyError.malformed(file: path, reason: decodingReason(e))
    } catch { throw StudyError.malformed(file: path, reason: "\(error)") }
}
