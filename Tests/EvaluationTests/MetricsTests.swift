import Evaluation
import Testing

@Suite struct MetricsTests {
    @Test func accNormDividesByCharacterLength() {
        // ll = [−10, −12], lengths [5, 20]: acc picks 0; acc_norm compares −2.0 with −0.6 and picks 1.
        let m = Metrics.multipleChoice(logLikelihoods: [-10, -12], choiceLengths: [5, 20], gold: 1)
        #expect(m.prediction == 0 && m.predictionNorm == 1 && !m.acc && m.accNorm)
        // Ties go to the first choice (np.argmax).
        #expect(Metrics.multipleChoice(logLikelihoods: [-3, -3], choiceLengths: [1, 1], gold: 0).acc)
    }

    @Test func standardErrorIsLmEvalMeanStderr() {
        // 3 of 4 correct: sample variance 0.25, s.e. = √(0.25/4) = 0.25.
        #expect(abs(Metrics.standardError([1, 1, 1, 0]) - 0.25) < 1e-12)
        #expect(abs(Metrics.perplexity(logLikelihoods: [-1, -3]) - 7.38905609893065) < 1e-9)  // e²
    }

    @Test func exactMatchNormalisesLikeHFEvaluate() {
        // triviaqa: ignore case and punctuation.
        #expect(
            Metrics.exactMatch(
                "onion!", references: ["Dry onion", "Onion"], ignoreCase: true, ignorePunctuation: true,
                regexesToIgnore: []))
        #expect(
            !Metrics.exactMatch(
                "onions", references: ["Onion"], ignoreCase: true, ignorePunctuation: true, regexesToIgnore: []))
        // nq_open's regex "\ban|a|the\b" drops every "a" before lower-casing; both sides get the same treatment.
        #expect(
            Metrics.exactMatch(
                "The aorta", references: ["The aorta", "aorta"], ignoreCase: true, ignorePunctuation: true,
                regexesToIgnore: ["\\ban|a|the\\b"]))
        #expect(Metrics.removeWhitespace("  Paris") == "Paris")
    }

    @Test func gsm8kExtraction() {
        let out = " Janet has 16 - 3 - 4 = 9 eggs. She makes 9 * 2 = $18. The answer is 18.\n\n"
        #expect(Metrics.gsm8kStrict(out) == "18")
        #expect(Metrics.gsm8kStrict("so 18 in all") == "[invalid]")
        #expect(Metrics.gsm8kFlexible("It costs $1,234.") == "$1,234.")
        #expect(Metrics.gsm8kFlexible("3 apples and 5") == "5")
        let regexes = [",", "\\$", "(?s).*#### ", "\\.$"]
        #expect(
            Metrics.exactMatch(
                "$1,234.", references: ["1234"], ignoreCase: true, ignorePunctuation: false, regexesToIgnore: regexes))
    }
}
