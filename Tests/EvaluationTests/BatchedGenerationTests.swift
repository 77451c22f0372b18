import Evaluation
import Foundation
import Models
import TestSupport
import Testing

/// generate_until documents decoded together (`lisa eval --batch`) give the same texts and scores as one at a
/// time, on GSM8K (0- and 8-shot, long answers) and TriviaQA (short answers), with more documents than slots so slots
/// are refilled as documents finish. Each run is its own `lisa` process: in-process, concurrently running suites
/// share OpenBLAS's thread pool, which changes its work split and the last bits of the prefill's products.
@Suite(.serialized) struct BatchedGenerationTests {
    func run(_ task: String, limit: Int, batch: Int, shots: Int, _ dir: URL) throws -> TaskResult {
        let out = dir.appendingPathComponent("\(task)-\(batch).json")
        let r = try LisaBinary.run([
            "eval", TestPaths.gemma, "--task", task, "--shots", "\(shots)", "--limit", "\(limit)",
            "--batch", "\(batch)", "--out", out.path,
        ])
        #expect(r.status == 0, "\(r.stderr)")
        return try JSONDecoder().decode(TaskResult.self, from: Data(contentsOf: out))
    }

    func compare(_ task: String, limit: Int, shots: Int = 0) throws {
        let dir = try TestPaths.tempDir("batched"); defer { try? FileManager.default.removeItem(at: dir) }
        let one = try run(task, limit: limit, batch: 1, shots: shots, dir)
        let many = try run(task, limit: limit, batch: 3, shots: shots, dir)
        #expect(one.documents.count == limit && many.documents.count == limit)
        for (a, b) in zip(one.documents, many.documents) {
            #expect(
                a.index == b.index && a.prediction == b.prediction && a.scores == b.scores,
                "\(task) doc \(a.index): \(a.prediction ?? "-") vs \(b.prediction ?? "-")")
        }
        #expect(one.metrics == many.metrics)
        #expect(one.tokensRun == many.tokensRun)
        print(
            "\(task): \(limit) documents, \(one.tokensRun) tokens, one at a time \(one.seconds) s, batch 3 "
                + "\(many.seconds) s"
        )
    }

    @Test(.needsGemma) func gsm8kBatchedEqualsOneAtATime() throws { try compare("gsm8k", limit: 4) }
    @Test(.needsGemma) func triviaqaBatchedEqualsOneAtATime() throws { try compare("triviaqa", limit: 7) }
    /// 8-shot CoT: every context runs as the exemplars' stored state, then its question, in both paths.
    @Test(.needsGemma) func gsm8kFewShotBatchedEqualsOneAtATime() throws { try compare("gsm8k", limit: 4, shots: 8) }
}
