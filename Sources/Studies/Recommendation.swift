import Basics
import Evaluation
import Foundation
import GGUF
import Models
import Store

/// `lisa recommend` as one call: Table 1's sharing configuration for a model from its sensitivity sweep — a file
/// written by `lisa sensitivity --out`, or a finished sensitivity study in a database, optionally with rule 1's
/// adjacent-layer JSD from a similarity study of the same model.
public struct RecommendationRequest {
    public enum Sweep {
        case file(String)
        /// `jsd`: the similarity study, its task and the scheme of rule 1; nil skips rule 1.
        case study(
            store: LisaStore, name: String, task: String?, jsd: (study: String, task: String, scheme: JSDScheme)?)
    }
    public var modelPath: String
    public var sweep: Sweep
    /// A layer count (10) or, below 1, a fraction of all layers (0.53 → round(0.53 × L)).
    public var target: Double
    /// Robust = DS score ≥ this × baseline.
    public var threshold: Double
    public var excluded: Set<Int>
    public var skipTypeChanges: Bool
    /// Rule 1: a layer whose JSD to its front layer exceeds this (nats) is excluded.
    public var jsdThreshold: Double

    public init(
        modelPath: String, sweep: Sweep, target: Double, threshold: Double = 0.9, excluded: Set<Int> = [],
        skipTypeChanges: Bool = false, jsdThreshold: Double = 0.1
    ) {
        self.modelPath = modelPath; self.sweep = sweep; self.target = target; self.threshold = threshold
        self.excluded = excluded; self.skipTypeChanges = skipTypeChanges; self.jsdThreshold = jsdThreshold
    }
}

/// Failures of a recommendation, as sentences naming the file.
public enum RecommendationError: Error, CustomStringConvertible, Equatable {
    case unreadableSweep(path: String, reason: String)
    case notASweep(path: String, reason: String)
    case layerCount(sweep: Int, model: String, layers: Int)

    public var description: String {
        switch self {
        case let .unreadableSweep(p, r): return "The sweep file \(p) cannot be read: \(r)."
        case let .notASweep(p, r): return "\(p) is not a sensitivity sweep written by `lisa sensitivity --out`: \(r)."
        case let .layerCount(s, m, l): return "The sweep was run on a \(s)-layer model but \(m) has \(l) layers."
        }
    }
}

public struct Recommendation {
    public let config: SharingConfig
    /// What the choice rests on, in two lines (the task ranked by, the layers chosen, the LCKV-style sources).
    public let summary: String

    public static func recommend(_ r: RecommendationRequest) throws -> Recommendation {
        let cfg = try ModelConfig.read(from: GGUFFile(path: r.modelPath))
        let sha = try SHA256.hex(ofFile: r.modelPath)
        let sweep: SensitivityResult
        var jsdToFront: [Double]?
        var source = "S1"
        switch r.sweep {
        case .file(let path):
            let data: Data
            do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
                throw RecommendationError.unreadableSweep(path: path, reason: FileProblem.reading(path, error))
            }
            do { sweep = try CanonicalJSON.decoder().decode(SensitivityResult.self, from: data) } catch let e
                as DecodingError
            {
                throw RecommendationError.notASweep(path: path, reason: decodingReason(e))
            }
        case let .study(store, name, task, jsd):
            let inputs = StoredInputs(store: store)
            sweep = try inputs.sweep(study: name, task: task, modelSHA256: sha)
            if let jsd {
                jsdToFront = Recommender.jsdToFront(
                    adjacent: try inputs.adjacentJSD(
                        study: jsd.study, task: jsd.task,
                        scheme: jsd.scheme, modelSHA256: sha))
                source = "\(jsd.scheme.rawValue.uppercased()) (\(jsd.study), \(jsd.task))"
            }
        }
        guard cfg.nLayers == sweep.nLayers else {
            throw RecommendationError.layerCount(sweep: sweep.nLayers, model: r.modelPath, layers: cfg.nLayers)
        }
        let count =
            r.target < 1 ? Recommender.layers(forFraction: r.target, nLayers: cfg.nLayers) : Int(r.target.rounded())
        let rec = Recommender(
            target: count, threshold: r.threshold, excluded: r.excluded, skipTypeChanges: r.skipTypeChanges,
            jsdToFront: jsdToFront, jsdThreshold: r.jsdThreshold, jsdSource: source)
        let config = rec.recommend(sweep, isSliding: cfg.isSlidingLayer, modelSHA256: sha, arch: cfg.arch.rawValue)
        try config.validate(path: "(recommendation)")
        let note =
            config.shared.count < count
            ? " (target \(count) not reachable after the exclusions: this is the maximum)" : ""
        let summary = """
            ranked by \(sweep.task) (\(sweep.metric), n = \(sweep.n)); \(config.table1Entry) of \(cfg.nLayers) layers\(note)
            layer sources (0-based, LCKV style): \(config.layerString)
            """
        return Recommendation(config: config, summary: summary)
    }
}
