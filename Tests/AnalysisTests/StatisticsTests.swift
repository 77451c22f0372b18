import Analysis
import Foundation
import Testing

/// The statistics every report number carries (issue 17, item 2), against hand-computed values and the
/// analytic standard error.
@Suite struct StatisticsTests {
    @Test func analyticStandardErrorOfAMeanByHand() {
        // [1, 2, 3, 4]: mean 2.5, squared deviations 2.25 + 0.25 + 0.25 + 2.25 = 5, sd = √(5/3), se = sd / 2
        #expect(abs(standardErrorOfMean([1, 2, 3, 4]) - (5.0 / 3).squareRoot() / 2) < 1e-12)
        #expect(abs(standardErrorOfMean([1, 2, 3, 4]) - 0.6454972243679028) < 1e-12)
        #expect(standardErrorOfMean([7]).isNaN)
        // lm-eval's 0/1 case: √(p(1 − p)/(n − 1)) with p = 0.3, n = 10
        let bits: [Double] = [1, 1, 1, 0, 0, 0, 0, 0, 0, 0]
        #expect(abs(standardErrorOfMean(bits) - (0.3 * 0.7 / 9).squareRoot()) < 1e-12)
        #expect(abs(binomialStandardError(p: 0.5, n: 100) - 0.05) < 1e-15)
    }

    @Test func bootstrapStandardErrorOfAMeanMatchesTheAnalyticOne() {
        // 200 values, spread like a skewed JSD sample; the bootstrap s.e. of the mean estimates
        // σ̂/√n with σ̂ the plug-in (n) deviation: analytic × √((n − 1)/n). 2,000 resamples have a Monte Carlo
        // error of about 1/√(2 · 2000) ≈ 1.6 % relative; 6 % is the tolerance.
        let v = (0..<200).map { i -> Double in
            let x = Double((i * 37) % 101) / 100
            return 0.02 + 0.3 * x * x
        }
        let analytic = standardErrorOfMean(v) * (199.0 / 200).squareRoot()
        let b = bootstrapMean(v, resamples: 2000, seed: 42)
        #expect(abs(b.value - mean(v)) < 1e-12)
        #expect(abs(b.se - analytic) / analytic < 0.06, "bootstrap \(b.se) vs analytic \(analytic)")
        // the percentile interval is about mean ± 1.96 s.e.
        #expect(abs((b.high! - b.low!) / (2 * 1.96 * analytic) - 1) < 0.12)
        #expect(b.low! < b.value && b.value < b.high!)
    }

    @Test func bootstrapIsSeededAndDeterministic() {
        let v = (0..<50).map { Double($0 % 9) }
        let a = bootstrapMean(v, resamples: 300, seed: 7)
        let b = bootstrapMean(v, resamples: 300, seed: 7)
        let c = bootstrapMean(v, resamples: 300, seed: 8)
        #expect(a == b)
        #expect(a.se != c.se)
        // a constant sample has no spread at all
        #expect(bootstrapMean([0.04, 0.04, 0.04], seed: 1).se < 1e-15)
    }

    @Test func countBelowAThresholdWithItsInterval() {
        // column 0 always below 0.05, column 1 never, column 2 alternates 0 and 0.1: mean exactly 0.05 over all
        // samples (not below), but a resample with more zeros falls below, one with more 0.1 stays above.
        let per = (0..<40).map { s -> [Double] in [0.01, 0.2, s % 2 == 0 ? 0 : 0.1] }
        let c = bootstrapCountBelow(per, threshold: 0.05, resamples: 500, seed: 3)
        #expect(c.value == 1)
        #expect(c.low == 1 && c.high == 2)
        // the share of resamples that count 2 is about one half (the mean of column 2 is below 0.05 in them)
        #expect(c.se > 0.4 && c.se < 0.6)
    }

    @Test func pairedDifferenceByHand() {
        // a − b = [2, 1, 3]: mean 2, sd 1, se 1/√3
        let d = pairedDifference([3, 5, 7], [1, 4, 4])
        #expect(d.value == 2 && d.n == 3)
        #expect(abs(d.se - 1 / 3.0.squareRoot()) < 1e-12)
        // keyed by document: only the documents both sides scored
        let k = pairedDifference([0: 1, 1: 0, 2: 1, 5: 1], [0: 0, 1: 0, 2: 1, 9: 0])
        #expect(k.n == 3 && abs(k.value - 1.0 / 3) < 1e-12)
        // se of [1, 0, 0]: sd √(1/3), / √3 = 1/3
        #expect(abs(k.se - 1.0 / 3) < 1e-12)
    }

    @Test func pairingRemovesTheSharedVariation() {
        // b = a + 0.01 + small noise: the items vary a lot, the difference hardly at all
        let a = (0..<30).map { Double($0 % 10) / 10 }
        let b = a.enumerated().map { $0.element + 0.01 + ($0.offset % 2 == 0 ? 0.001 : -0.001) }
        let paired = pairedDifference(b, a)
        let unpaired = unpairedDifference(meanEstimate(b), meanEstimate(a))
        #expect(abs(paired.value - 0.01) < 1e-12 && abs(unpaired.value - 0.01) < 1e-12)
        #expect(paired.se < unpaired.se / 50)
        #expect(paired.beyond() && !unpaired.beyond())
    }

    @Test func unpairedDifferenceAddsVariances() {
        let d = unpairedDifference(Estimate(value: 0.5, se: 0.3, n: 10), Estimate(value: 0.2, se: 0.4, n: 12))
        #expect(abs(d.value - 0.3) < 1e-15 && abs(d.se - 0.5) < 1e-15 && d.n == 10)
        #expect(!d.beyond() && d.beyond(0.5))
    }

    @Test func separablePairsOfARanking() {
        // entries 0 and 1 differ by 3 s.e., 0 and 2 by 1 s.e., 1 and 2 by 2.5 s.e.
        let e = { (v: Double) in Estimate(value: v, se: 1, n: 10) }
        let d = [[e(0), e(3), e(1)], [e(-3), e(0), e(-2.5)], [e(-1), e(2.5), e(0)]]
        let pairs = separablePairs(d)
        #expect(pairs.map { [$0.0, $0.1] } == [[0, 1], [1, 2]])
        #expect(separablePairs(d, k: 3.5).isEmpty)
    }

    @Test func percentilesAndMajorityClass() {
        #expect(percentile([1, 2, 3, 4], 0.25) == 1.75)  // numpy.percentile(…, 25)
        #expect(percentile([4, 1, 3, 2], 0.5) == 2.5)
        #expect(percentile([], 0.5).isNaN)
        #expect(majorityClassRate([1, 1, 0, 1]) == 0.75)
        #expect(majorityClassRate([2, 0, 1]) == 1.0 / 3)
    }

    @Test func estimateFormatting() {
        #expect(Estimate(value: 0.04123, se: 0.00312, n: 5).formatted() == "0.0412 ± 0.0031")
        #expect(Estimate(value: 0.655, se: 0.011, n: 5).formatted(1, scale: 100) == "65.5 ± 1.1")
        #expect(Estimate(value: .nan, se: 1, n: 0).formatted() == "–")
    }
}

/// Table 2's "Avg. Perf. Preserved" (FIGURES.md C9, issue 17 item 6), checked against the paper's own rows.
@Suite struct PreservedTests {
    // Table 2, LLaMA3-8B: PIQA, BoolQ, WinoGrande, CoQA, OBQA, ARC-E, ARC-C, HellaSwag, TriviaQA, NQ, MMLU, GSM8K,
    // LAMBADA (ppl)
    let tasks = [
        "piqa", "boolq", "winogrande", "coqa", "openbookqa", "arc_easy", "arc_challenge", "hellaswag", "triviaqa",
        "nq_open", "mmlu", "gsm8k", "lambada",
    ]
    let base = [80.69, 81.13, 73.40, 67.40, 46.60, 77.61, 59.30, 82.26, 63.39, 29.14, 64.98, 51.71, 3.48]
    let ds17 = [68.61, 75.72, 65.19, 12.67, 30.20, 41.04, 29.86, 50.00, 0.73, 1.11, 23.96, 1.74, 936.10]
    let lisa17 = [79.87, 81.65, 73.95, 63.53, 46.20, 79.29, 58.96, 81.17, 57.66, 27.17, 61.22, 45.94, 3.79]

    func entries(_ s: [Double]) -> [PreservedEntry] {
        tasks.indices.map { PreservedEntry(task: tasks[$0], base: base[$0], score: s[$0]) }
    }

    @Test func reproducesThePapersAverages() {
        let ds = averagePreserved(entries(ds17))
        let lisa = averagePreserved(entries(lisa17))
        // the paper prints 46.67 and 96.77: the mean of the 12 ratios, LAMBADA excluded
        #expect(abs(ds.percent - 46.67) < 0.005, "\(ds.percent)")
        #expect(abs(lisa.percent - 96.77) < 0.005, "\(lisa.percent)")
        #expect(ds.included.count == 12 && ds.excluded.keys.sorted() == ["lambada"])
        // averaging LAMBADA's perplexity ratio in (as a 13th term) would give 43.11, not the paper's number
        let with13 = 100 * (zip(ds17, base).map { $0 / $1 }.dropLast().reduce(0, +) + 3.48 / 936.10) / 13
        #expect(abs(with13 - 43.105) < 0.001 && abs(with13 - ds.percent) > 3)
    }

    @Test func undefinedRatiosAreLeftOutAndNamed() {
        // ours: GSM8K base 0 (Gemma 3 270M), LAMBADA accuracy given as a task row
        let r = averagePreserved([
            PreservedEntry(task: "piqa", base: 0.655, score: 0.605),
            PreservedEntry(task: "boolq", base: 0.61, score: 0.62),
            PreservedEntry(task: "gsm8k", base: 0, score: 0),
            PreservedEntry(task: "lambada", base: 0.395, score: 0.005),
        ])
        // 100 × (0.605/0.655 + 0.62/0.61) / 2 = 100 × (0.923664… + 1.016393…) / 2 = 97.0029
        #expect(abs(r.percent - 100 * (0.605 / 0.655 + 0.62 / 0.61) / 2) < 1e-9)
        #expect(abs(r.percent - 97.0029) < 1e-3)
        #expect(r.included == ["piqa", "boolq"])
        #expect(
            r.excluded["gsm8k"]?.contains("0") == true
                && r.excluded["lambada"]?.contains("not a scored benchmark") == true)
        #expect(averagePreserved([]).percent.isNaN)
    }

    @Test func onePrimaryMetricPerTask() {
        #expect(
            ["arc_easy", "hellaswag", "piqa", "openbookqa"].map { primaryMetric(task: $0) }
                == Array(repeating: "acc_norm", count: 4))
        #expect(["boolq", "mmlu"].map { primaryMetric(task: $0) } == ["acc", "acc"])
        #expect(
            ["gsm8k", "triviaqa", "nq_open"].map { primaryMetric(task: $0) }
                == Array(repeating: "exact_match", count: 3))
        #expect(primaryMetric(task: "lambada") == nil)
    }
}
