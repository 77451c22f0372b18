import Datasets
import Evaluation
import Foundation
import Models
import Testing
import TestSupport

/// Issue 19: WinoGrande's partial scoring (lm-eval winogrande: the sentence up to the blank with each option is a
/// context, the rest after the blank the one continuation) and ARC-Challenge, on the hand-made fixture data in
/// Tests/Fixtures/tasks-data (their real data is a hold-out, FIGURES.md C10). Expected strings are written by hand
/// from preprocess_winogrande.py's rules (sentence[:idx] + option; " " + sentence[idx+1:].strip()).
@Suite struct PartialScoringTests {
    static let data = TestPaths.fixtures.appendingPathComponent("tasks-data")

    static func fixtureTask(_ name: String) throws -> EvalTask {
        let folder = try TasksFolder(path: TestPaths.repoRoot.appendingPathComponent("tasks").path)
        return try EvalTask(spec: folder.spec(name), data: DataDirectory(path: data.path))
    }

    @Test func winograndeZeroShotContextsAndContinuation() throws {
        let t = try Self.fixtureTask("winogrande")
        #expect(t.spec.defaultShots == 5 && t.spec.primaryMetric == "acc" && t.records.count == 4)
        #expect(
            try t.request(t.records[0], shots: 0, seed: 1234)
                == .partial(
                    contexts: [
                        "The trophy would not fit in the suitcase because the trophy",
                        "The trophy would not fit in the suitcase because the suitcase",
                    ],
                    continuation: " was too big.", choiceLengths: [59, 61], gold: 0))
        #expect(
            try t.request(t.records[1], shots: 0, seed: 1234)
                == .partial(
                    contexts: [
                        "Sam lent his umbrella to Alex because Sam", "Sam lent his umbrella to Alex because Alex",
                    ],
                    continuation: " was walking home in the rain.", choiceLengths: [41, 42], gold: 1))
        #expect(
            try t.request(t.records[3], shots: 0, seed: 1234)
                == .partial(
                    contexts: ["Maria baked bread for Jo, since Maria", "Maria baked bread for Jo, since Jo"],
                    continuation: " had an oven at home.", choiceLengths: [37, 34], gold: 0))
    }

    /// lm-eval's few-shot layout for multiple inputs: each exemplar is the gold context + " " + its continuation,
    /// joined by "\n\n"; the document's contexts follow the shared prefix. The pool is cut to two records so that the
    /// seeded draw (ascending index order) is known.
    @Test func winograndeTwoShotPrefix() throws {
        let full = try Self.fixtureTask("winogrande")
        let t = EvalTask(spec: full.spec, records: full.records, pool: Array(full.records.prefix(2)))
        let prefix =
            "The trophy would not fit in the suitcase because the trophy was too big.\n\n"
            + "Sam lent his umbrella to Alex because Alex was walking home in the rain.\n\n"
        #expect(
            try t.request(t.records[2], shots: 2, seed: 1234)
                == .partial(
                    contexts: [
                        prefix + "The cat chased the mouse until the cat",
                        prefix + "The cat chased the mouse until the mouse",
                    ],
                    continuation: " hid under the stove.", choiceLengths: [38, 40], gold: 1))
        // The fixture is smaller than the 50-record pool: a 5-shot run has nothing to evaluate, a 0-shot run all 4.
        #expect(full.evaluable(shots: 5).isEmpty && full.evaluable(shots: 0).count == 4)
    }

    @Test func winograndeFieldsAreChecked() throws {
        let dir = try TestPaths.tempDir("wino")
        try FileManager.default.createDirectory(
            at: dir.appendingPathComponent("winogrande"), withIntermediateDirectories: true)
        let file = dir.appendingPathComponent("winogrande/validation.jsonl")
        let folder = try TasksFolder(path: TestPaths.repoRoot.appendingPathComponent("tasks").path)
        func load(_ line: String) throws {
            try (line + "\n").write(to: file, atomically: true, encoding: .utf8)
            _ = try EvalTask(spec: folder.spec("winogrande"), data: DataDirectory(path: dir.path))
        }
        #expect(
            throws: DatasetError.invalidValue(
                file: file.path, line: 1, field: "answer", reason: "must be \"1\" or \"2\", not \"3\"")
        ) {
            try load(#"{"sentence": "A _ b.", "option1": "x", "option2": "y", "answer": "3"}"#)
        }
        #expect(throws: DatasetError.invalidValue(file: file.path, line: 1, field: "sentence", reason: "has no \"_\""))
        {
            try load(#"{"sentence": "No blank.", "option1": "x", "option2": "y", "answer": "1"}"#)
        }
        #expect(throws: DatasetError.missingField(file: file.path, line: 1, field: "option2")) {
            try load(#"{"sentence": "A _ b.", "option1": "x", "answer": "1"}"#)
        }
        #expect(throws: DatasetError.wrongType(file: file.path, line: 1, field: "answer", expected: "a string")) {
            try load(#"{"sentence": "A _ b.", "option1": "x", "option2": "y", "answer": 1}"#)
        }
    }

    @Test func arcChallengeUsesTheARCEasyPrompt() throws {
        let t = try Self.fixtureTask("arc_challenge")
        let easy = try loadTask("arc_easy")
        #expect(t.spec.docToText == easy.spec.docToText && t.spec.docToChoice == easy.spec.docToChoice)
        #expect(t.spec.defaultShots == 25 && t.spec.primaryMetric == "acc_norm")
        #expect(
            try t.request(t.records[2], shots: 0, seed: 1234)
                == .multipleChoice(
                    context: "Question: Which tool is best for measuring the mass of a rock?\nAnswer:",
                    continuations: [
                        " a thermometer", " a ruler", " a balance", " a graduated cylinder", " a stopwatch",
                    ],
                    choiceLengths: [13, 7, 9, 20, 11], gold: 2))
        let one = EvalTask(spec: t.spec, records: t.records, pool: [t.records[0]])
        #expect(
            try one.context(t.records[1], shots: 1, seed: 1)
                == "Question: Which gas do plants take in from the air to make food?\nAnswer: carbon dioxide\n\n"
                + "Question: A student pushes a box across a rough floor. Which force slows the box down?\nAnswer:")
    }

    /// End to end with Gemma: `lisa eval` on the fixture folder (0-shot: the fixtures are smaller than the pool); each
    /// document's log-likelihoods must equal those of the hand-written contexts scored in-process by ContextScorer.
    @Test(.needsGemma) func lisaEvalRunsWinograndeAndARCChallengeOnTheFixtures() throws {
        let out = try TestPaths.tempDir("partial")
        // Exact products on both sides: with 8-bit activations a float difference of 1e-6 can flip a rounding that
        // Gemma amplifies to tenths of a nat (ContextScorer.reusesAcrossDocuments), which made this check of the
        // requests depend on the CPU (it failed on an AVX-512 FP16 Xeon by up to 0.38 nats).
        let m = try LoadedModel(path: TestPaths.gemma, threads: 1, exact: true)
        for (task, n) in [("winogrande", 4), ("arc_challenge", 3)] {
            let json = out.appendingPathComponent("\(task).json").path
            let r = try LisaBinary.run(
                [
                    "eval", TestPaths.gemma, "--task", task, "--data", Self.data.path, "--shots", "0",
                    "--threads", "1", "--products", "exact", "--out", json, "--json",
                ],
                environment: ["LISA_TASKS": TestPaths.repoRoot.appendingPathComponent("tasks").path])
            #expect(r.status == 0, "\(r.stderr)")
            let result = try JSONDecoder().decode(TaskResult.self, from: Data(contentsOf: URL(fileURLWithPath: json)))
            #expect(result.n == n && Set(result.metrics.keys) == ["acc", "acc_norm"])
            let t = try Self.fixtureTask(task)
            let scorer = ContextScorer(model: m)
            for d in result.documents {
                try scorer.beginDocument()
                let pairs: [(context: [Int], continuation: [Int])]
                switch try t.request(t.records[d.index], shots: 0, seed: 1234) {
                case let .partial(contexts, continuation, _, gold):
                    #expect(d.gold == gold)
                    pairs = contexts.map { scorer.encodePair(context: $0, continuation: continuation) }
                case let .multipleChoice(context, continuations, _, gold):
                    #expect(d.gold == gold)
                    pairs = continuations.map { scorer.encodePair(context: context, continuation: $0) }
                default: Issue.record("unexpected request"); continue
                }
                let ll = try scorer.logLikelihoods(pairs).map(\.logProb)
                let got = try #require(d.logLikelihoods)
                #expect(got.count == ll.count)
                for (a, b) in zip(got, ll) {
                    // 5e-3 nats: measured up to 1.6e-3 on an AVX-512 FP16 Xeon (F16 KV cache, summation order);
                    // a wrong context or continuation moves a log-likelihood by nats
                    #expect(abs(a - b) <= 5e-3, "\(task) doc \(d.index): \(a) vs \(b)")
                }
                let argmax = ll.indices.max { ll[$0] < ll[$1] || (ll[$0] == ll[$1] && $0 > $1) }!
                #expect(d.scores["acc"] == (argmax == d.gold ? 1 : 0))
            }
        }
    }
}
