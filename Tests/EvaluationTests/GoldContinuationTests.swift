import Evaluation
import Foundation
import Models
import TestSupport
import Testing

/// The gold continuation a generation document's `gold_log_likelihood` scores (issue 17, item 2).
@Suite struct GoldContinuationTests {
    @Test func gsm8kSolutionInTheChainOfThoughtForm() throws {
        let spec = try loadTask("gsm8k").spec
        let d = Document(
            index: 0,
            fields: [
                "question": .text(
                    "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. "
                        + "How many?"
                ),
                "answer": .text(
                    "Natalia sold 48/2 = <<48/2=24>>24 clips in May.\nNatalia sold 48+24 = <<48+24=72>>72 clips "
                        + "altogether in April and May.\n#### 72"
                ),
                "final_answer": .text("72"),
            ])
        // calculator annotations dropped, lines joined, "#### 72" in the exemplars' "The answer is 72." form
        #expect(
            goldContinuation(spec, d, references: ["72"])
                == " Natalia sold 48/2 = 24 clips in May. Natalia sold 48+24 = 72 clips altogether in April and May. "
                + "The answer is 72."
        )
        // the first real test record ends the same way
        let t = try loadTask("gsm8k")
        let g = try #require(goldContinuation(spec, doc(t, 0), references: []))
        // the record's own fields (task files declare question and answer; the final answer follows "#### ")
        guard case .text(let answer)? = doc(t, 0).fields["answer"], let mark = answer.range(of: "#### ") else {
            Issue.record("the first GSM8K record has no \"#### N\" answer")
            return
        }
        let final = answer[mark.upperBound...].trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(g.hasPrefix(" ") && g.hasSuffix("The answer is \(final).") && !g.contains("<<") && !g.contains("\n"))
    }

    @Test func otherGenerationTasksUseTheFirstReference() throws {
        let spec = try loadTask("triviaqa").spec
        let d = Document(
            index: 3, fields: ["question": .text("q"), "answer": .text("Paris"), "aliases": .list(["Paris", "paris"])])
        #expect(goldContinuation(spec, d, references: ["Paris", "paris"]) == " Paris")
        #expect(goldContinuation(spec, d, references: []) == nil)
    }

    /// A generation run stores the gold continuation's log-likelihood per document, equal to scoring the same
    /// context and gold text directly (batched generation path, the default).
    @Test(.needsGemma) func generationDocumentsStoreTheGoldLogLikelihood() throws {
        let t = try loadTask("gsm8k")
        let model = try LoadedModel(path: TestPaths.gemma, threads: 2)
        let options = EvalOptions(shots: 8, limit: 1, seed: 3)
        let r = try evaluate(t, model: model, options: options)
        let g = try #require(r.documents[0].scores["gold_log_likelihood"])
        let d = selectDocuments(t, options: options)[0]
        guard case .generation(let context, _, _, let refs) = try t.request(d, shots: 8, seed: 3) else {
            Issue.record("not generation")
            return
        }
        let scorer = ContextScorer(model: model)
        let (c, k) = scorer.encodePair(
            context: context, continuation: try #require(goldContinuation(t.spec, d, references: refs)))
        // Bit for bit, even while other tests change the process's thread count: products do not depend on it
        // (BLASThreadInvarianceTests; before, this failed under CI load by 2.8 nats).
        // The run scores the 8-shot context as its exemplars' stored state, then the question (PrefixStates).
        let prefix = scorer.encode(try t.prefix(d, shots: 8, seed: 3))
        let direct = try scorer.logLikelihood(context: c, continuation: k, prefix: prefix).logProb
        #expect(g == direct, "stored \(g) vs direct \(direct)")
        #expect(g < -5 && g > -1000, "\(g)")
        #expect(r.metrics["gold_log_likelihood"] == g)
        // the document records its context length in tokens (for splits by length)
        #expect(r.documents[0].contextTokens == scorer.encode(context).count)
        #expect(try #require(r.documents[0].contextTokens) > 500)  // 8 exemplars
    }

    /// Multiple-choice and log-likelihood documents record their context's length in tokens too: the longest of
    /// the choices' contexts (PIQA's contexts are one string) and LAMBADA's context.
    @Test(.needsGemma) func documentsRecordTheirContextLength() throws {
        let model = try LoadedModel(path: TestPaths.gemma, threads: 2)
        let scorer = ContextScorer(model: model)
        for name in ["piqa", "lambada"] {
            let t = try loadTask(name)
            let options = EvalOptions(shots: 0, limit: 2, seed: 5)
            let r = try evaluate(t, model: model, options: options)
            for (doc, res) in zip(selectDocuments(t, options: options), r.documents) {
                let expected: Int
                switch try t.request(doc, shots: 0, seed: 5) {
                case let .multipleChoice(context, continuations, _, _):
                    expected = continuations.map { scorer.encodePair(context: context, continuation: $0).0.count }
                        .max()!
                case let .loglikelihood(context, continuation):
                    expected = scorer.encodePair(context: context, continuation: continuation).0.count
                default:
                    Issue.record("\(name): unexpected request kind"); continue
                }
                #expect(res.contextTokens == expected, "\(name) document \(doc.index)")
                #expect(expected > 3)
            }
        }
    }
}
