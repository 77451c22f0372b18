import Foundation
import Models
import TestSupport
import Testing

/// Our forward pass against llama.cpp's `dequant_f32` config (../shared/oracles/logits_*.json):
/// same top-1, ≥ 18 of the top-20 shared with |Δ| ≤ 1.0 (gemma3) / 0.5 (qwen2), teacher-forced
/// next-token log-probs mean |Δ| ≤ 0.05 and max ≤ 0.3, greedy tokens identical up to where
/// llama.cpp's own configs fork.
@Suite struct LlamaCppOracleTests {
    func check(_ name: String, top20Tolerance: Double) throws {
        let model = try RealModels.model(name)
        let oracle = try TestPaths.oracleJSON("logits_\(name).json") as! [String: Any]
        for case let p as [String: Any] in oracle.arr("prompts") {
            let ids = p.ints("ids")
            let results = p.dict("results")
            let ref = results["dequant_f32"] as! [String: Any]
            let logits = try model.forward(ids, cache: model.makeCache(), logits: .all)
            let last = logits.row(ids.count - 1)
            let base = last.startIndex
            // top-1 and top-20
            let refTop = ref.arr("top20").map { $0 as! [String: Any] }
            let ours = last.indices.sorted { last[$0] > last[$1] }.prefix(20).map { $0 - base }
            #expect(ours[0] == refTop[0]["id"] as! Int, "\(name) prompt \(p["index"]!): top-1 \(ours[0])")
            let refIDs = refTop.map { $0["id"] as! Int }
            #expect(refIDs.count == 20 && ours.count == 20)
            let shared = Set(ours).intersection(refIDs)
            #expect(shared.count >= 18, "\(name) prompt \(p["index"]!): only \(shared.count) of the top-20 shared")
            var maxTop = 0.0
            for t in refTop where shared.contains(t["id"] as! Int) {
                maxTop = max(maxTop, abs(Double(last[base + (t["id"] as! Int)]) - t.num("logit")))
            }
            #expect(maxTop <= top20Tolerance, "\(name) prompt \(p["index"]!): top-20 logits differ by \(maxTop)")
            // teacher-forced next-token log-probs over every position
            var sum = 0.0, mx = 0.0, n = 0
            for case let pp as [String: Any] in ref.arr("per_position") {
                let pos = pp["pos"] as! Int
                guard pos + 1 < ids.count else { continue }
                let lp = -Transformer.negLogProb(logits.row(pos), target: ids[pos + 1])
                let d = abs(lp - pp.num("next_logprob"))
                sum += d; mx = max(mx, d); n += 1
            }
            #expect(n == ids.count - 1, "\(name) prompt \(p["index"]!): compared \(n) of \(ids.count - 1) log-probs")
            print(
                "\(name) prompt \(p["index"]!): top-20 max |Δ| \(maxTop), next_logprob mean |Δ| \(sum / Double(n)), "
                    + "max \(mx)"
            )
            #expect(
                sum / Double(n) <= 0.05 && mx <= 0.3,
                "\(name) prompt \(p["index"]!): next_logprob mean \(sum / Double(n)) max \(mx)")
            // greedy: identical up to the first step where llama.cpp's own configs disagree
            let greedyRef = ref.dict("greedy16").ints("ids")
            var agreeUpTo = greedyRef.count
            for (_, v) in results {
                let g = (v as! [String: Any]).dict("greedy16").ints("ids")
                if let fork = zip(g, greedyRef).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset {
                    agreeUpTo = min(agreeUpTo, fork)
                }
            }
            let r = try model.generate(
                promptIDs: ids, tokenizer: nil,
                options: GenerationOptions(maxTokens: greedyRef.count, stopAtEOS: false))
            #expect(
                Array(r.ids.prefix(agreeUpTo)) == Array(greedyRef.prefix(agreeUpTo)),
                "\(name) prompt \(p["index"]!): greedy \(r.ids) vs \(greedyRef) (configs agree up to \(agreeUpTo))")
        }
    }

    @Test(.needsGemma) func gemma3() throws { try check("gemma3", top20Tolerance: 1.0) }
    @Test(.needsQwen) func qwen2() throws { try check("qwen2", top20Tolerance: 0.5) }
}
