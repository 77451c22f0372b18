import Foundation
import Models
import TestSupport
import Testing

/// Our forward pass against PyTorch/transformers in float32 (../shared/oracles/attention_*.json):
/// last-token attention rows within 2e-3 everywhere, top-10 next-token logits within 0.05.
@Suite struct TransformersOracleTests {
    func check(_ name: String) throws {
        let model = try RealModels.model(name)
        let oracle = try TestPaths.oracleJSON("attention_\(name).json") as! [String: Any]
        for case let p as [String: Any] in oracle.arr("prompts") {
            let ids = p.ints("token_ids")
            let cap = LastRowCapture(layers: model.config.nLayers)
            let logits = try model.forward(ids, cache: model.makeCache(), logits: .last, tap: cap)
            let rows = p.arr("last_row")
            try #require(rows.count == model.config.nLayers, "\(name): the oracle has \(rows.count) layers")
            var maxDiff = 0.0
            for l in 0..<model.config.nLayers {
                let heads = rows[l] as! [Any]
                try #require(heads.count == model.config.nHeads, "\(name) layer \(l): \(heads.count) heads")
                for h in 0..<model.config.nHeads {
                    let ref = doubles(heads[h])
                    try #require(ref.count == cap.rows[l][h].count)
                    for k in ref.indices { maxDiff = max(maxDiff, abs(ref[k] - Double(cap.rows[l][h][k]))) }
                }
            }
            print("\(name) \(p["name"]!): max |Δ attention| = \(maxDiff)")
            #expect(maxDiff <= 2e-3, "\(name) prompt \(p["name"]!): attention rows differ by \(maxDiff)")
            var maxLogit = 0.0
            for case let t as [Any] in p.arr("next_token_top10") {
                let id = (t[0] as! NSNumber).intValue, ref = (t[2] as! NSNumber).doubleValue
                maxLogit = max(maxLogit, abs(Double(logits.last[logits.last.startIndex + id]) - ref))
            }
            print("\(name) \(p["name"]!): max |Δ top-10 logit| = \(maxLogit)")
            #expect(maxLogit <= 0.05, "\(name) prompt \(p["name"]!): top-10 logits differ by \(maxLogit)")
        }
    }

    @Test(.needsGemma) func gemma3() throws { try check("gemma3") }
    @Test(.needsQwen) func qwen2() throws { try check("qwen2") }
}
