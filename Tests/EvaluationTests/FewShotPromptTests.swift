import Datasets
import Evaluation
import Testing
import TestSupport

// Few-shot layout (lm-eval fewshot_context): description + exemplars "text + target_delimiter + target"
// joined by fewshot_delimiter, then fewshot_delimiter + doc_to_text. Pools are cut to k records where the
// draw is seeded, so that the expected string can be written literally.
@Suite struct FewShotPromptTests {
    @Test func mmluOneShotFromDev() throws {
        let t = try loadTask("mmlu")
        #expect(
            try t.request(doc(t, 0), shots: 1, seed: 1234)
                == .multipleChoice(
                    context: "The following are multiple choice questions (with answers) about abstract algebra.\n\n"
                        + "Find all c in Z_3 such that Z_3[x]/(x^2 + c) is a field.\nA. 0\nB. 1\nC. 2\nD. 3\nAnswer: "
                        + "B\n\n"
                        + "Find the degree for the given field extension Q(sqrt(2), sqrt(3), sqrt(18)) over Q.\nA. "
                        + "0\nB. 4\nC. 2\nD. 6\nAnswer:",
                    continuations: [" A", " B", " C", " D"], choiceLengths: [1, 1, 1, 1], gold: 1))
        let five = try t.context(doc(t, 1), shots: 5, seed: 1234)
        #expect(
            five.hasSuffix(
                "Find the characteristic of the ring 2Z.\nA. 0\nB. 3\nC. 12\nD. 30\nAnswer: A\n\nLet p = (1, 2, 5, "
                    + "4)(2, 3) in S_5 . Find the index of <p> in S_5.\nA. 8\nB. 2\nC. 24\nD. 120\nAnswer:"
            ))
        #expect(five.components(separatedBy: "\nAnswer:").count == 7)  // 5 exemplars + the question, split 6 times
        #expect(throws: EvalError.poolTooSmall(task: "mmlu", requested: 6, available: 5)) {
            try t.context(doc(t, 1), shots: 6, seed: 1)
        }
    }

    @Test func openBookQATwoShot() throws {
        let full = try loadTask("openbookqa")
        let t = EvalTask(spec: full.spec, records: full.records, pool: Array(full.records.prefix(2)))
        #expect(
            try t.context(doc(t, 50), shots: 2, seed: 1234)
                == "A person wants to start saving money so that they can afford a nice vacation at the end of the "
                + "year. After looking over their budget and expenses, they decide the best way to save money is "
                + "to quit eating lunch out\n\n"
                + "There is most likely going to be fog around: a marsh\n\nSome berries may be eaten by")
        // The 5-shot run never evaluates the 50-record pool (FIGURES.md C8) and draws exemplars only from it.
        #expect(full.evaluable(shots: 5).count == 450 && full.evaluable(shots: 5).first?.index == 50)
        #expect(full.evaluable(shots: 0).count == 500)
        let ex = try full.exemplars(for: doc(full, 51), shots: 5, seed: 1234)
        #expect(ex.count == 5 && Set(ex.map(\.index)).count == 5 && ex.allSatisfy { $0.index < 50 })
        #expect(try full.exemplars(for: doc(full, 51), shots: 5, seed: 1234) == ex)
    }

    @Test func hellaswagOneShot() throws {
        let full = try loadTask("hellaswag")
        let t = EvalTask(spec: full.spec, records: full.records, pool: [doc(full, 0)])
        #expect(
            try t.request(doc(t, 50), shots: 1, seed: 1234)
                == .multipleChoice(
                    context:
                        "Roof shingle removal: A man is sitting on a roof. he starts pulling up roofing on a "
                        + "roof.\n\nPolishing shoes: A person polish a shoe with a wrapped finger. then",
                    continuations: [
                        " , the person remove the wrapping paper to expose a shoe.",
                        " , the person removes the heel heel from the shoe and polish.",
                        " , the person grabs polish paste and water to polish the shoe.",
                        " , a person polish the fingers, then the person puts a black polish.",
                    ],
                    choiceLengths: [56, 60, 61, 67], gold: 2))
    }

    @Test func nqOpenTwoShot() throws {
        let full = try loadTask("nq_open")
        let t = EvalTask(spec: full.spec, records: full.records, pool: Array(full.records.prefix(2)))
        // nq_open.yaml: description "Answer these questions:\n", fewshot_delimiter "\n"; an exemplar's target is
        // answer[0].
        #expect(
            try t.request(doc(t, 50), shots: 2, seed: 1234)
                == .generation(
                    context:
                        "Answer these questions:\nQ: when was the last time anyone was on the moon?\nA: 14 December "
                        + "1972 UTC\n"
                        + "Q: who wrote he ain't heavy he's my brother lyrics?\nA: Bobby Scott\nQ: what is the "
                        + "meaning of veronica in english?\nA:",
                    until: ["\n", ".", ","], maxTokens: 32, references: ["she who brings victory"]))
        #expect(
            try t.request(doc(t, 51), shots: 0, seed: 1234)
                == .generation(
                    context:
                        "Answer these questions:\nQ: what is the name of the main artery which takes blood from the "
                        + "heart to the body?\nA:",
                    until: ["\n", ".", ","], maxTokens: 32, references: ["The aorta", "aorta"]))
    }

    @Test func gsm8kEightShotChainOfThought() throws {
        let t = try loadTask("gsm8k")
        guard case let .generation(c0, until, maxTokens, refs) = try t.request(doc(t, 0), shots: 8, seed: 1234),
            case let .generation(c1, _, _, refs1) = try t.request(doc(t, 1), shots: 8, seed: 1234)
        else {
            Issue.record("gsm8k is generate_until"); return
        }
        #expect(
            c0.hasPrefix(
                "Q: There are 15 trees in the grove. Grove workers will plant trees in the grove today. After they "
                    + "are done, there will be 21 trees. How many trees did the grove workers plant today?\nA: There "
                    + "are 15 trees originally. Then there were 21 trees after some more were planted. So there "
                    + "must have been 21 - 15 = 6. The answer is 6.\n\nQ: If there are 3 cars"
            ))
        #expect(
            c0.hasSuffix(
                "23 - 15 is 8. The answer is 8.\n\nQ: Janet\u{2019}s ducks lay 16 eggs per day. She eats three for "
                    + "breakfast every morning and bakes muffins for her friends every day with four. She sells the "
                    + "remainder at the farmers' market daily for $2 per fresh duck egg. How much in dollars "
                    + "does she make every day at the farmers' market?\nA:"
            ))
        #expect(
            c1.hasSuffix(
                "The answer is 8.\n\nQ: A robe takes 2 bolts of blue fiber and half that much white fiber.  How many "
                    + "bolts in total does it take?\nA:"
            ))
        #expect(c0.components(separatedBy: "\n\nQ: ").count == 9)
        #expect(refs == ["18"] && refs1 == ["3"] && until == ["Q:", "</s>", "<|im_end|>"] && maxTokens == 256)
        // The same layout as the §3 study prompt built independently in Datasets (FIGURES.md C7).
        let r = try readJSONL(GSM8KRecord.self, from: DataDirectory(path: TestPaths.data.path).file("gsm8k/test.jsonl"))
        #expect(c1 == gsm8kStudyPrompt(r[1]))
    }
}
