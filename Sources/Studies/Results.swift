import Foundation

// Stored analysis results (JSON in the `results` table). Layers 0-based; pair k = (layer k, layer k+1).

public struct S1Result: Codable {
    public var samples: Int
    public var meanTokens: Double
    public var matrix: [[Double]]
    public var adjacent: [Double]
    public var adjacentMean: Double
    public var offDiagonalMean: Double
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
}

public struct TwoSentenceResult: Codable {
    public var pairs: Int
    public var matrix: [[Double]]
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
    static func encode<T: Encodable>(_ v: T) -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return String(data: try! e.encode(v), encoding: .utf8)!
    }
    static func decode<T: Decodable>(_ t: T.Type, _ s: String) throws -> T { try JSONDecoder().decode(t, from: Data(s.utf8)) }
}
