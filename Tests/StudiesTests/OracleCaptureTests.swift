import Analysis
import Foundation
import Models
import Store
import Testing
import TestSupport

// S1/S2 from rows captured by our pipeline (Gemma forward → LastRowCapture → store → read back) for the
// oracle prompts' token ids must match oracles/js_gemma3.json within 1e-4.

struct JSOraclePrompt: Decodable {
    let name: String
    let s1_jsd: [[Double]]
    let s2_position: [Double]
    let s2_similarity: [Double]
    let s1_excl_first_jsd: [[Double]]
}
struct JSOracleFile: Decodable { let prompts: [JSOraclePrompt] }
struct AttentionPromptIDs: Decodable { let name: String; let token_ids: [Int] }
struct AttentionIDsFile: Decodable { let prompts: [AttentionPromptIDs] }

@Suite(.serialized) struct OracleCaptureTests {
    @Test(.needsGemma) func capturedRowsReproduceJSOracle() throws {
        let att = try JSONDecoder().decode(
            AttentionIDsFile.self,
            from: Data(contentsOf: TestPaths.oracles.appendingPathComponent("attention_gemma3.json")))
        let js = try JSONDecoder().decode(
            JSOracleFile.self, from: Data(contentsOf: TestPaths.oracles.appendingPathComponent("js_gemma3.json")))
        // as the study runner loads it: exact products, Float32 K/V
        let m = try LoadedModel(path: TestPaths.gemma, threads: 2, exact: true)
        let store = try LisaStore()
        let model = try store.registerModel(
            ModelRecord(
                sha256: "gemma", fileName: "gemma", arch: "gemma3", nLayers: m.config.nLayers,
                nHeads: m.config.nHeads, nKVHeads: m.config.nKVHeads, headDim: m.config.headDim))
        let run = try store.createRun(
            study: "oracle", modelId: model.id!, parameters: "{}", seed: 0, toolVersion: "test")
        var worst = 0.0
        for (k, p) in att.prompts.enumerated() {
            let tap = LastRowCapture(layers: m.config.nLayers)
            _ = try m.transformer.forward(p.token_ids, cache: m.transformer.makeCache(), logits: .none, tap: tap)
            try store.storeSample(
                runId: run.id!, modelId: model.id!, task: p.name, file: "oracle", recordIndex: k, text: p.name,
                tokenIds: p.token_ids, ordinal: k, seconds: 0, rows: tap.rows)
            let back = try store.capturedRows(runId: run.id!, task: p.name)
            let probs = lastRows(back[0].rows)
            let o = try #require(js.prompts.first { $0.name == p.name })
            let s1 = try s1Matrix(probs)
            let ex = try s1MatrixExcludingFirst(probs)
            let pos = try s2Adjacent(probs, scheme: .position).map(\.mean)
            let sim = try s2Adjacent(probs, scheme: .similarity).map(\.mean)
            let d = [
                diff(s1, o.s1_jsd), diff(ex, o.s1_excl_first_jsd), diff([pos], [o.s2_position]),
                diff([sim], [o.s2_similarity]),
            ].max()!
            print("oracle \(p.name): max |Δ| = \(d)")
            worst = max(worst, d)
        }
        #expect(worst < 1e-4, "max |Δ| over S1, S1-excl-first, S2 position/similarity = \(worst)")
    }

    /// Max |a − b| over two matrices, which must have the same shape (an issue is recorded when not).
    func diff(_ a: [[Double]], _ b: [[Double]]) -> Double {
        #expect(a.count == b.count && !a.isEmpty, "\(a.count) rows vs \(b.count)")
        #expect(zip(a, b).allSatisfy { $0.count == $1.count }, "rows of different lengths")
        return zip(a, b).flatMap { zip($0, $1).map { abs($0 - $1) } }.max() ?? .infinity
    }
}
