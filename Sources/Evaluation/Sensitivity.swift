import Foundation
import Models

/// One layer pair of the Section 4 sweep (FIGURES.md Fig 6): 0-based indices, printed 1-based (C1).
public struct LayerPair: Codable, Sendable, Equatable, Hashable {
    public let first: Int
    public let second: Int
    public init(first: Int, second: Int) { self.first = first; self.second = second }
    /// "3–4" for 0-based (2, 3).
    public var label: String { "\(first + 1)–\(second + 1)" }
    public var layers: [Int] { [first, second] }

    /// The paper's pairs 3–4, 5–6, … (1-based): 0-based (2, 3), (4, 5), … while the second layer exists.
    /// Pair 1–2 is absent (layer 1 has no front layer). Gemma 3 270M (18 layers): 8 pairs, 3–4 … 17–18.
    public static func sweep(nLayers: Int) -> [LayerPair] {
        stride(from: 2, to: nLayers - 1, by: 2).map { LayerPair(first: $0, second: $0 + 1) }
    }
}

/// The score of one pair under DS and under uniform attention (Fig 6's two series).
public struct PairScore: Codable, Sendable, Equatable {
    public let pair: LayerPair
    public let ds: Double, dsStandardError: Double
    public let uniform: Double, uniformStandardError: Double
    /// C9's 90 % marker: score ≥ 0.9 × baseline.
    public func dsAtLeast90(baseline: Double) -> Bool { ds >= 0.9 * baseline }
    public func uniformAtLeast90(baseline: Double) -> Bool { uniform >= 0.9 * baseline }
    public init(pair: LayerPair, ds: Double, dsStandardError: Double, uniform: Double, uniformStandardError: Double) {
        self.pair = pair; self.ds = ds; self.dsStandardError = dsStandardError
        self.uniform = uniform; self.uniformStandardError = uniformStandardError
    }
}

/// A whole sweep: baseline (all standard) and every pair, on the same documents.
public struct SensitivityResult: Codable, Sendable {
    public let task: String
    public let metric: String
    public let shots: Int
    public let n: Int
    public let seed: UInt64
    public let nLayers: Int
    public let baseline: Double
    public let baselineStandardError: Double
    public let pairs: [PairScore]
    public let seconds: Double

    public init(
        task: String, metric: String, shots: Int, n: Int, seed: UInt64, nLayers: Int, baseline: Double,
        baselineStandardError: Double, pairs: [PairScore], seconds: Double
    ) {
        self.task = task; self.metric = metric; self.shots = shots; self.n = n; self.seed = seed; self.nLayers = nLayers
        self.baseline = baseline; self.baselineStandardError = baselineStandardError; self.pairs = pairs;
        self.seconds = seconds
    }

    /// Fig 9's robustness ranking: DS score descending; ties by the uniform score, then the deeper pair first.
    public var ranking: [PairScore] { robustnessRanking(pairs) }
}

public func robustnessRanking(_ pairs: [PairScore]) -> [PairScore] {
    pairs.sorted {
        if $0.ds != $1.ds { return $0.ds > $1.ds }
        // A study run with DS only stores uniform as NaN: then the tie goes to the deeper pair.
        if !$0.uniform.isNaN, !$1.uniform.isNaN, $0.uniform != $1.uniform { return $0.uniform > $1.uniform }
        return $0.pair.first > $1.pair.first
    }
}

/// Policies that set both layers of `pair` to `policy`, all others standard (Fig 6 steps 1–2). DS is
/// chained (C6): the pair's second layer reuses the first's effective matrix, i.e. layer first−1's.
public func pairPolicies(_ pair: LayerPair, _ policy: AttentionPolicy) -> AttentionPolicies {
    AttentionPolicies([pair.first: policy, pair.second: policy])
}
