import Analysis
import Datasets
import Foundation
import Models
import TestSupport
import Testing

/// The S1 matrix (paper §3.1) of a 20-sample PIQA capture on the quantized weights, as a study runs it (exact
/// products), within 1e-3 of the `--weights f32` capture; the integer products' deviation is printed for the record.
@Suite(.serialized) struct QuantizedCaptureTests {
    @Test(.needsGemma) func s1OfATwentySamplePIQACaptureMatchesTheF32Path() throws {
        let records = try readJSONL(
            PIQARecord.self, from: TestPaths.data.appendingPathComponent("piqa/validation.jsonl"))
        let samples = try sample(records, n: 20, seed: 1234, file: "piqa/validation.jsonl")
        func s1(_ m: LoadedModel) throws -> [[Double]] {
            let t = m.transformer
            let mats = try samples.map { s -> [[Double]] in
                let cap = LastRowCapture(layers: t.config.nLayers)
                _ = try t.forward(m.encode(piqaStudyPrompt(s.record)), cache: t.makeCache(), logits: .none, tap: cap)
                return try s1Matrix(cap.rows.map { $0.map { $0.map(Double.init) } })
            }
            return try meanMatrix(mats)
        }
        let f32 = try s1(LoadedModel(path: TestPaths.gemma, threads: 2, weights: .f32))
        let q = try LoadedModel(path: TestPaths.gemma, threads: 2, exact: true)
        let exact = try s1(q)
        q.transformer.productMode = .integer
        let integer = try s1(q)
        func maxDiff(_ a: [[Double]], _ b: [[Double]]) -> Double {
            #expect(a.count == b.count)
            return zip(a, b).map { zip($0, $1).map { abs($0 - $1) }.max() ?? 0 }.max() ?? 0
        }
        let de = maxDiff(exact, f32), di = maxDiff(integer, f32)
        print("S1 of 20 PIQA samples vs --weights f32: exact products max |Δ| \(de), integer products \(di)")
        #expect(f32.count == 18 && de <= 1e-3)
        #expect(adjacentPairs(f32).count == 17)
    }
}
