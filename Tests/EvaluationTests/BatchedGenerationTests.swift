import Evaluation
import Foundation
import Models
import TestSupport
import Testing

/// generate_until documents decoded together (`EvalOptions.batch`) give the same texts and scores as one at a
/// time, on GSM8K (0-shot, long answers) and TriviaQA (short answers), with more documents than slots so slots
/// are refilled as documents finish.
@Suite(.serialized) struct BatchedGenerationTests {
    static let loaded = Result { try LoadedModel(path: TestPaths.gemma, threads: 2) }

    func compare(_ task: String, shots: Int, limit: Int) throws {
        let m = try Self.loaded.get(), t = try loadTask(task)
        let one = try evaluate(t, model: m, options: EvalOptions(shots: shots, limit: limit, batch: 1))
        let many = try evaluate(t, model: m, options: EvalOptions(shots: shots, limit: limit, batch: 3))
        #expect(one.documents.count == limit && many.documents.count == limit)
        for (a, b) in zip(one.documents, many.documents) {
            #expect(a.index == b.index && a.prediction == b.prediction && a.scores == b.scores,
                    "\(task) doc \(a.index): \(a.prediction ?? "-") vs \(b.prediction ?? "-")")
        }
        #expect(one.metrics == many.metrics)
        #expect(one.tokensRun == many.tokensRun)
        print("\(task): \(limit) documents, \(one.tokensRun) tokens, one at a time \(one.seconds) s, batch 3 \(many.seconds) s")
    }

    @Test(.needsGemma) func gsm8kBatchedEqualsOneAtATime() throws { try compare("gsm8k", shots: 0, limit: 4) }
    @Test(.needsGemma) func triviaqaBatchedEqualsOneAtATime() throws { try compare("triviaqa", shots: 0, limit: 7) }
}
