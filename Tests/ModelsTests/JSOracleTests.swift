import Analysis
import Foundation
import Models
import TestSupport
import Testing

/// S1/S2 Jensen–Shannon values computed from rows captured by our own forward pass reproduce
/// ../shared/oracles/js_*.json within 1e-4 for every prompt.
@Suite struct JSOracleTests {
    func check(_ name: String) throws {
        let model = try RealModels.model(name)
        let att = try TestPaths.oracleJSON("attention_\(name).json") as! [String: Any]
        let js = try TestPaths.oracleJSON("js_\(name).json") as! [String: Any]
        let jsPrompts = js.arr("prompts").map { $0 as! [String: Any] }
        try #require(jsPrompts.count == att.arr("prompts").count && !jsPrompts.isEmpty, "\(name): prompt counts differ")
        for (i, p) in att.arr("prompts").map({ $0 as! [String: Any] }).enumerated() {
            let cap = LastRowCapture(layers: model.config.nLayers)
            _ = try model.forward(p.ints("token_ids"), cache: model.makeCache(), logits: .none, tap: cap)
            let rows = lastRows(cap.rows)
            let ref = jsPrompts[i]
            let s1 = try s1Matrix(rows)
            let refS1 = (ref["s1_jsd"] as! [Any]).map(doubles)
            let L = model.config.nLayers
            try #require(isSquare(s1, L) && isSquare(refS1, L), "\(name): S1 is not \(L)×\(L) on both sides")
            var worst = 0.0
            for a in s1.indices { for b in s1.indices { worst = max(worst, abs(s1[a][b] - refS1[a][b])) } }
            let pos = try s2Adjacent(rows, scheme: .position).map(\.mean)
            let sim = try s2Adjacent(rows, scheme: .similarity).map(\.mean)
            let refPos = doubles(ref["s2_position"]!), refSim = doubles(ref["s2_similarity"]!)
            try #require(
                [refPos.count, sim.count, refSim.count].allSatisfy { $0 == L - 1 } && pos.count == L - 1,
                "\(name): S2 lengths \(pos.count), \(sim.count) vs \(refPos.count), \(refSim.count)")
            for (a, b) in zip(pos, refPos) { worst = max(worst, abs(a - b)) }
            for (a, b) in zip(sim, refSim) { worst = max(worst, abs(a - b)) }
            let ex = try s1MatrixExcludingFirst(rows)
            let refEx = (ref["s1_excl_first_jsd"] as! [Any]).map(doubles)
            try #require(
                isSquare(ex, L) && isSquare(refEx, L), "\(name): S1 excl. first is not \(L)×\(L) on both sides")
            for a in ex.indices { for b in ex.indices { worst = max(worst, abs(ex[a][b] - refEx[a][b])) } }
            print("\(name) \(p["name"]!): max |Δ JS| from our captured rows = \(worst)")
            #expect(worst <= 1e-4)
        }
    }

    func isSquare(_ m: [[Double]], _ n: Int) -> Bool { m.count == n && m.allSatisfy { $0.count == n } }

    @Test(.needsGemma) func gemma3() throws { try check("gemma3") }
    @Test(.needsQwen) func qwen2() throws { try check("qwen2") }
}
