import Evaluation
import Testing

// Expected strings are written from the lm-eval YAML templates (doc_to_text, doc_to_choice, target
// delimiter " ") applied by hand to the first two records of each real data file.
@Suite struct ZeroShotPromptTests {
    @Test func piqa() throws {
        let t = try loadTask("piqa")
        #expect(
            try t.request(doc(t, 0), shots: 0, seed: 1234)
                == .multipleChoice(
                    context: "Question: How do I ready a guinea pig cage for it's new occupants?\nAnswer:",
                    continuations: [
                        " Provide the guinea pig with a cage full of a few inches of bedding made of ripped paper "
                            + "strips, you will also need to supply it with a water bottle and a food dish.",
                        " Provide the guinea pig with a cage full of a few inches of bedding made of ripped jeans "
                            + "material, you will also need to supply it with a water bottle and a food dish.",
                    ],
                    choiceLengths: [164, 166], gold: 0))
        #expect(
            try t.request(doc(t, 1), shots: 0, seed: 1234)
                == .multipleChoice(
                    context: "Question: dresser\nAnswer:",
                    continuations: [" replace drawer with bobby pin ", " finish, woodgrain with  bobby pin "],
                    choiceLengths: [30, 34], gold: 1))
    }

    @Test func boolq() throws {
        let t = try loadTask("boolq")
        guard case let .multipleChoice(c0, k0, l0, g0) = try t.request(doc(t, 0), shots: 0, seed: 1234),
            case let .multipleChoice(c1, _, _, g1) = try t.request(doc(t, 1), shots: 0, seed: 1234)
        else {
            Issue.record("boolq is multiple choice"); return
        }
        #expect(c0.hasPrefix("All biomass goes through at least some of these steps: it needs to be grown,"))
        #expect(
            c0.hasSuffix(
                "producing ethanol from corn uses much less petroleum than producing gasoline.\nQuestion: does "
                    + "ethanol take more energy make that produces?\nAnswer:"
            ))
        #expect(c0.count == 1368 + "\nQuestion: does ethanol take more energy make that produces?\nAnswer:".count)
        #expect(k0 == [" no", " yes"] && l0 == [2, 3] && g0 == 0)
        #expect(c1.hasPrefix("Property tax or 'house tax' is a local tax on buildings, along with appurtenant land."))
        #expect(
            c1.hasSuffix(
                "falling in the first two brackets.\nQuestion: is house tax and property tax are same?\nAnswer:"))
        #expect(g1 == 1)
    }

    @Test func arcEasy() throws {
        let t = try loadTask("arc_easy")
        #expect(
            try t.request(doc(t, 0), shots: 0, seed: 1234)
                == .multipleChoice(
                    context:
                        "Question: Which statement best explains why photosynthesis is the foundation of most food "
                        + "webs?\nAnswer:",
                    continuations: [
                        " Sunlight is the source of energy for nearly all ecosystems.",
                        " Most ecosystems are found on land instead of in water.",
                        " Carbon dioxide is more available than other gases.",
                        " The producers in all ecosystems are plants.",
                    ],
                    choiceLengths: [59, 54, 50, 43], gold: 0))
        #expect(
            try t.request(doc(t, 1), shots: 0, seed: 1234)
                == .multipleChoice(
                    context:
                        "Question: Which piece of safety equipment is used to keep mold spores from entering the "
                        + "respiratory system?\nAnswer:",
                    continuations: [" safety goggles", " breathing mask", " rubber gloves", " lead apron"],
                    choiceLengths: [14, 14, 13, 10], gold: 1))
    }

    @Test func openBookQAZeroShotLayout() throws {
        let t = try loadTask("openbookqa")
        #expect(
            try t.request(doc(t, 50), shots: 0, seed: 1234)
                == .multipleChoice(
                    context: "Some berries may be eaten by",
                    continuations: [" a bear or person", " a bear or shark", " a bear or lion", " a bear or wolf"],
                    choiceLengths: [16, 15, 14, 14], gold: 0))
        #expect(
            try t.request(doc(t, 51), shots: 0, seed: 1234)
                == .multipleChoice(
                    context: "A person has a chance to experience an equinox",
                    continuations: [" weekly", " monthly", " annually", " biannually"], choiceLengths: [6, 7, 8, 10],
                    gold: 3))
    }

    @Test func hellaswagZeroShotLayout() throws {
        let t = try loadTask("hellaswag")
        // query = preprocess(activity_label + ": " + ctx); our file has no ctx_a/ctx_b, so ctx_b is not capitalised.
        #expect(
            try t.request(doc(t, 0), shots: 0, seed: 1234)
                == .multipleChoice(
                    context: "Roof shingle removal: A man is sitting on a roof. he",
                    continuations: [
                        " is using wrap to wrap a pair of skis.", " is ripping level tiles off.",
                        " is holding a rubik's cube.",
                        " starts pulling up roofing on a roof.",
                    ], choiceLengths: [37, 27, 26, 36], gold: 3))
        #expect(
            try t.request(doc(t, 1), shots: 0, seed: 1234)
                == .multipleChoice(
                    context: "Clean and jerk: A lady walks to a barbell. She bends down and grabs the pole. the lady",
                    continuations: [
                        " swings and lands in her arms.", " pulls the barbell forward.",
                        " pulls a rope attached to the barbell.",
                        " stands and lifts the weight over her head.",
                    ], choiceLengths: [29, 26, 37, 42], gold: 3))
        #expect(
            Template.hellaswagPreprocess(" How to wash [title] Rinse [step] it.  Then dry ")
                == "How to wash. Rinse it. Then dry")
    }

    @Test func lambada() throws {
        let t = try loadTask("lambada")
        guard case let .loglikelihood(c0, k0) = try t.request(doc(t, 0), shots: 0, seed: 1234),
            case let .loglikelihood(c1, k1) = try t.request(doc(t, 1), shots: 0, seed: 1234)
        else {
            Issue.record("lambada is loglikelihood"); return
        }
        #expect(c0.hasSuffix("his mouth curved in a confident grin, I don't care about") && k0 == " signs")
        #expect(
            c1
                == "Give me a minute to change and I'll meet you at the docks.\" She'd forced those words through "
                + "her teeth.\n\n\"No need to change. We won't be that long.\"\n\nShane gripped her arm and "
                + "started leading her to the dock.\n\n\"I can make it there on my own,"
        )
        #expect(k1 == " Shane")
    }

    @Test func triviaqa() throws {
        let t = try loadTask("triviaqa")
        #expect(
            try t.request(doc(t, 0), shots: 0, seed: 1234)
                == .generation(
                    context:
                        "Question: Brunswick, Lancastrian and Pearl Pickler are types of which vegetable??\nAnswer:",
                    until: ["\n", ".", ","], maxTokens: 32,
                    references: [
                        "Onion skins", "Allium angolense", "Onion", "Bulb onion", "Allium nigritanum", "Onion fruit",
                        "Kaanda",
                        "Allium salota", "Pyaz", "Dry onion", "Allium cepa", "Garden onion", "Bulb onions",
                        "Allium aobanum",
                        "Onions", "Onion set", "Spanish onion",
                    ]))
        #expect(
            try t.request(doc(t, 1), shots: 0, seed: 1234)
                == .generation(
                    context: "Question: What type of animal is a dik-dik??\nAnswer:", until: ["\n", ".", ","],
                    maxTokens: 32,
                    references: ["Botswanan Antelopes", "Antelope", "Antilopina", "Antelopes", "Hybrid antelope"]))
    }
}
