import Basics
import Foundation

// Stored analysis results (JSON in the `results` table). Layers 0-based; pair k = (layer k, layer k+1).

public struct S1Result: Codable {
    public var samples: Int
    public var meanTokens: Double
    public var matrix: [[Double]]
    public var adjacent: [Double]
    public var adjacentMean: Double
    public var offDiagonalMean: Double
    /// [sample][pair k]: each sample's adjacent JSDs, for bootstrap standard errors (absent in results stored
    /// before issue 17; `lisa report` recomputes them from the stored rows).
    public var perSampleAdjacent: [[Double]]?
    /// [sample]: each sample's off-diagonal mean.
    public var perSampleOffDiagonal: [Double]?
    /// [a][b]: the analytic s.e. of each cell's mean over samples (sd / √N).
    public var matrixSE: [[Double]]?
}

public struct S2Result: Codable {
    public var samples: Int
    /// scheme → per adjacent pair mean over samples and heads (position, similarity, randomExpectation, hungarian,
    /// randomSingleDraw: one seeded permutation per sample and pair).
    public var curves: [String: [Double]]
    /// scheme → [pair][head], mean over samples (for the inter-quartile band over heads).
    public var perHead: [String: [[Double]]]
    /// FIGURES.md C5 extension: one fixed map j*(i) per pair and its mean JSD per head.
    public var staticMap: [[Int]]
    public var staticPerHead: [[Double]]
    /// scheme → [sample][pair]: each sample's head-mean S2 per adjacent pair ("static" included), for
    /// bootstrap and paired standard errors (absent in results stored before issue 17).
    public var perSample: [String: [[Double]]]?
}

public struct TwoSentenceResult: Codable {
    public var pairs: Int
    public var matrix: [[Double]]
    /// [sentence pair][k] = B(k, k+1) of that pair of sentences (for standard errors; absent before issue 17).
    public var perPairAdjacent: [[Double]]?
    /// [sentence pair][l] = B(l, l): the same layer of two unrelated sentences.
    public var perPairDiagonal: [[Double]]?
}

public struct TopEntry: Codable { public var index: Int; public var weight: Double; public var piece: String }

public struct TopKResult: Codable {
    public var recordIndex: Int
    public var nTokens: Int
    public var layers: [[TopEntry]]
}

public struct DistributionPair: Codable {
    public var target: Double
    public var a: Int
    public var b: Int
    public var jsd: Double
    public var pa: [Double]
    public var pb: [Double]
}

public struct DistributionsResult: Codable {
    public var recordIndex: Int
    public var pairs: [DistributionPair]
}

enum ResultJSON {
    static func encode<T: Encodable>(_ v: T) -> String { CanonicalJSON.string(v) }
    static func decode<T: Decodable>(_ t: T.Type, _ s: String) throws -> T { try CanonicalJSON.decode(t, s) }
}
