import Analysis
import Foundation
import Models
import TestSupport
import Testing

/// S1/S2 Jensen–Shannon values computed from rows captured by our own forward pass reproduce
/// ../shared/oracles/js_*.json within 1e-4 for every prompt.
@Suite struct JSOracleTests {
    func check(_ name: String) throws {
        guard let model = RealModels.model(name) else { return }
        let att = try TestPaths.oracleJSON("attention_\(name).json") as! [String: Any]
        let js = try TestPaths.oracleJSON("js_\(name).json") as! [String: Any]
        let jsPrompts = js.arr("prompts").map { $0 as! [String: Any] }
        for (i, p) in att.arr("prompts").map({ $0 as! [String: Any] }).enumerated() {
            let cap = LastRowCapture(layers: model.config.nLayers)
            _ = try model.forward(p.ints("token_ids"), cache: model.makeCache(), logits: .none, tap: cap)
            let rows = lastRows(cap.rows)
            let ref = jsPrompts[i]
            let s1 = try s1Matrix(rows)
            let refS1 = (ref["s1_jsd"] as! [Any]).map(doubles)
            var worst = 0.0
            for a in s1.indices { for b in s1.indices { worst = max(worst, abs(s1[a][b] - refS1[a][b])) } }
            let pos = try s2Adjacent(rows, scheme: .position).map(\.mean)
            let sim = try s2Adjacent(rows, scheme: .similarity).map(\.mean)
            for (a, b) in zip(pos, doubles(ref["s2_position"]!)) { worst = max(worst, abs(a - b)) }
            for (a, b) in zip(sim, doubles(ref["s2_similarity"]!)) { worst = max(worst, abs(a - b)) }
            let ex = try s1MatrixExcludingFirst(rows)
            let refEx = (ref["s1_excl_first_jsd"] as! [Any]).map(doubles)
            for a in ex.indices { for b in ex.indices { worst = max(worst, abs(ex[a][b] - refEx[a][b])) } }
            print("\(name) \(p["name"]!): max |Δ JS| from our captured rows = \(worst)")
            #expect(worst <= 1e-4)
        }
    }

    @Test func gemma3() throws { try check("gemma3") }
    @Test func qwen2() throws { try check("qwen2") }
}
