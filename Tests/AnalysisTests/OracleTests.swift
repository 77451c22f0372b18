import Foundation
import Testing
import TestSupport
import Analysis

// Reproduces every field of oracles/js_<model>.json from the stored last rows of
// oracles/attention_<model>.json (the independent numpy implementation; ATTENTION.md), within 1e-6.

struct AttentionOracle: Decodable {
    struct Prompt: Decodable { let name: String; let last_row: [[[Double]]] }
    let prompts: [Prompt]
}

struct JSOracle: Decodable {
    struct Prompt: Decodable {
        let name: String
        let n_tokens: Int
        let s1_jsd: [[Double]]
        let s1_adjacent: [Double]
        let s1_adjacent_mean, s1_offdiag_mean, s1_max: Double
        let s2_position, s2_similarity: [Double]
        let s2_position_mean, s2_similarity_mean: Double
        let s2_position_per_head, s2_similarity_per_head: [[Double]]
        let s2_similarity_argmin_head: [[Int]]
        let s1_excl_first_jsd: [[Double]]
        let s1_excl_first_adjacent: [Double]
        let s1_excl_first_adjacent_mean: Double
    }
    let n_layers, n_heads: Int
    let prompts: [JSOracle.Prompt]
}

/// Parsed once per test process (the attention files are ~10 MB each); a file that does not parse fails the tests.
let oracleInputs = Result { () throws -> [String: (AttentionOracle, JSOracle)] in
    var out: [String: (AttentionOracle, JSOracle)] = [:]
    for model in ["gemma3", "qwen2"] {
        let dir = TestPaths.oracles
        func data(_ file: String) throws -> Data { try Data(contentsOf: dir.appendingPathComponent(file)) }
        let att = try JSONDecoder().decode(AttentionOracle.self, from: data("attention_\(model).json"))
        let js = try JSONDecoder().decode(JSOracle.self, from: data("js_\(model).json"))
        out[model] = (att, js)
    }
    return out
}

/// Max |a − b|; arrays of different lengths (or none at all) record an issue and give infinity.
func maxAbsDiff(_ a: [Double], _ b: [Double], sourceLocation: SourceLocation = #_sourceLocation) -> Double {
    guard a.count == b.count, !a.isEmpty else {
        Issue.record("\(a.count) values compared with \(b.count)", sourceLocation: sourceLocation)
        return .infinity
    }
    return zip(a, b).map { abs($0 - $1) }.max()!
}
func maxAbsDiff(_ a: [[Double]], _ b: [[Double]], sourceLocation: SourceLocation = #_sourceLocation) -> Double {
    guard a.count == b.count, !a.isEmpty else {
        Issue.record("\(a.count) rows compared with \(b.count)", sourceLocation: sourceLocation)
        return .infinity
    }
    return zip(a, b).map { maxAbsDiff($0, $1, sourceLocation: sourceLocation) }.max()!
}

@Suite struct OracleTests {
    @Test(arguments: ["gemma3", "qwen2"])
    func reproducesJSOracle(model: String) throws {
        let (att, js) = try #require(try oracleInputs.get()[model])
        #expect(att.prompts.count == js.prompts.count)
        let tol = 1e-6
        var worst = 0.0
        for (input, want) in zip(att.prompts, js.prompts) {
            #expect(input.name == want.name)
            let probs = input.last_row
            let shape = try validateShape(probs)
            #expect(shape.layers == js.n_layers && shape.heads == js.n_heads && shape.keys == want.n_tokens)

            let s1 = try s1Matrix(probs)
            let s1Adj = adjacentPairs(s1)
            let position = try s2Adjacent(probs, scheme: .position)
            let similarity = try s2Adjacent(probs, scheme: .similarity)
            let excl = try s1MatrixExcludingFirst(probs)
            let checks: [(String, Double)] = [
                ("s1_jsd", maxAbsDiff(s1, want.s1_jsd)),
                ("s1_adjacent", maxAbsDiff(s1Adj, want.s1_adjacent)),
                ("s1_adjacent_mean", abs(mean(s1Adj) - want.s1_adjacent_mean)),
                ("s1_offdiag_mean", abs(offDiagonalMean(s1) - want.s1_offdiag_mean)),
                ("s1_max", abs(s1.flatMap { $0 }.max()! - want.s1_max)),
                ("s2_position", maxAbsDiff(position.map(\.mean), want.s2_position)),
                ("s2_position_per_head", maxAbsDiff(position.map(\.perHead), want.s2_position_per_head)),
                ("s2_position_mean", abs(mean(position.flatMap(\.perHead)) - want.s2_position_mean)),
                ("s2_similarity", maxAbsDiff(similarity.map(\.mean), want.s2_similarity)),
                ("s2_similarity_per_head", maxAbsDiff(similarity.map(\.perHead), want.s2_similarity_per_head)),
                ("s2_similarity_mean", abs(mean(similarity.flatMap(\.perHead)) - want.s2_similarity_mean)),
                ("s1_excl_first_jsd", maxAbsDiff(excl, want.s1_excl_first_jsd)),
                ("s1_excl_first_adjacent", maxAbsDiff(adjacentPairs(excl), want.s1_excl_first_adjacent)),
                ("s1_excl_first_adjacent_mean", abs(mean(adjacentPairs(excl)) - want.s1_excl_first_adjacent_mean)),
            ]
            for (field, diff) in checks {
                #expect(diff <= tol, "\(model) \(input.name) \(field): max |diff| = \(diff)")
                worst = max(worst, diff)
            }
            #expect(
                similarity.map { $0.match! } == want.s2_similarity_argmin_head, "\(model) \(input.name) argmin heads")
        }
        print("JS oracle \(model): \(js.prompts.count) prompts, max |diff| over all fields = \(worst)")
    }
}
