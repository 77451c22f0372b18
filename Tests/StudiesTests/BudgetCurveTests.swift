import Analysis
import Foundation
@testable import Studies
import TestSupport
import Testing

/// Issue 18's token-budget curve from Table 2's rows, on hand-made rows whose line and gap are computed by hand.
@Suite struct BudgetCurveTests {
    /// A LAMBADA cell of perplexity `ppl` whose paired log-likelihood difference from the original has s.e. `se`.
    func lambada(_ ppl: Double, se: Double = 0.1) -> Table2Cell {
        Table2Cell(
            metric: "perplexity", n: 500, score: Estimate(value: ppl, se: .nan, n: 500),
            vsReference: Estimate(value: 0, se: se, n: 500), seconds: 1)
    }

    /// original ppl e^3, DS e^9; lisa at 100 k e^8, at 1 M e^6, at 10 M e^5 (log-ppl 8, 6, 5 against log10 T
    /// 5, 6, 7): slope −1.5, intercept 46/3 (mean x 6, mean y 19/3; Sxy = −3, Sxx = 2), residuals +1/6, −1/3,
    /// +1/6 → RSS 1/6, slope s.e. √((1/6)/1/2) = 0.2887. Half the gap is log-ppl 6 → 10^((6 − 46/3)/−1.5) =
    /// 10^(56/9) = 1.668 M; 90 % is 3.6 → 10^(35.2/4.5) = 66.4 M. Preserved 70, 80, 90: +10 per decade from DS's
    /// 60 towards 100: half (80) at 1 M, 90 % (96) at 10^7.6 = 39.8 M. ds-lora has one budget: no trend.
    func table() -> Table2 {
        let labels = ["ds", "lisa-100000", "lisa-1000000", "lisa-10000000", "ds-lora-100000"]
        var cells: [String: Table2Cell] = ["original": lambada(exp(3))]
        for (l, y) in zip(labels, [9.0, 8, 6, 5, 8.5]) { cells[l] = lambada(exp(y)) }
        // one scored benchmark whose preserved share ± 0.02 is each row's average preserved ± 2 %
        var piqa: [String: Table2Cell] = [:]
        for (l, p) in zip(labels, [0.6, 0.7, 0.8, 0.9, 0.65]) {
            piqa[l] = Table2Cell(
                metric: "acc", n: 100, score: Estimate(value: p / 2, se: 0.01, n: 100),
                preserved: Estimate(value: p, se: 0.02, n: 100), vsReference: nil, seconds: 1)
        }
        return Table2(
            tasks: ["piqa", "lambada"], methods: [.original] + labels.map { Table2Method(label: $0) },
            referenceLabel: "original", cells: ["piqa": piqa, "lambada": cells])
    }

    @Test func familiesBudgetsAndLevelsComeFromTheLabels() throws {
        let c = BudgetCurve(table())
        #expect(c.families.map(\.name) == ["lisa", "ds-lora"])
        #expect(c.families[0].points.map(\.tokens) == [100_000, 1_000_000, 10_000_000])
        #expect(abs(c.originalLogPerplexity! - 3) < 1e-12 && abs(c.dsLogPerplexity!.value - 9) < 1e-12)
        #expect(c.dsPreserved?.value == 60)
        // log-ppl 8 closes (9 − 8)/(9 − 3) = 1/6 of DS's gap; 70 % preserved closes (70 − 60)/(100 − 60) = 1/4
        #expect(abs(c.gapClosed(8, .lambadaLogPerplexity)! - 1.0 / 6) < 1e-12)
        #expect(abs(c.gapClosed(70, .preserved)! - 0.25) < 1e-12)
        #expect(c.families[0].points[0].lambadaLogPerplexity?.se == 0.1)
    }

    @Test func theTrendIsTheLeastSquaresLineInLog10Tokens() throws {
        let c = BudgetCurve(table())
        let t = try #require(c.trend("lisa", .lambadaLogPerplexity))
        #expect(abs(t.slope + 1.5) < 1e-12 && abs(t.intercept - 46.0 / 3) < 1e-9 && t.points == 3)
        #expect(abs(t.slopeSE! - 0.288675) < 1e-6)
        let half = try #require(t.tokens(reaching: 6, direction: -1))
        #expect(abs(log10(half) - 56.0 / 9) < 1e-9)
        #expect(abs(log10(try #require(t.tokens(reaching: 3.6, direction: -1))) - 35.2 / 4.5) < 1e-9)
        // a line rising away from the original never gets there
        #expect(t.tokens(reaching: 6, direction: 1) == nil)
        // preserved 70, 80, 90 over 5, 6, 7 decades: slope +10 per 10×, exact (no residual)
        let p = try #require(c.trend("lisa", .preserved))
        #expect(abs(p.slope - 10) < 1e-9 && abs(p.slopeSE!) < 1e-9)
        #expect(c.trend("ds-lora", .preserved) == nil)  // one budget
        #expect(BudgetTrend.fit(tokens: [100, 100], [1, 2]) == nil)  // one distinct budget
    }

    @Test func theTableSaysWhatEachFamilyWouldNeed() {
        let md = BudgetCurve(table()).markdown()
        #expect(md.contains("| lisa | LAMBADA log-perplexity | 3 | -1.500 ± 0.289 | 66.7 % | 1.7 M | 66.4 M |"))
        #expect(md.contains("| lisa | average preserved (%) | 3 | +10.000 ± 0.000 | 75.0 % | 1.0 M | 39.8 M |"))
        #expect(md.contains("| ds-lora | LAMBADA log-perplexity | 1 | — (one budget: no trend yet) | 8.3 % | — | — |"))
        let csv = BudgetCurve(table()).csv()
        #expect(csv.contains("lisa,100000,lisa-100000,lambada_log_perplexity,8,0.1,0.1666666667"))
        #expect(csv.contains("ds-lora,100000,ds-lora-100000,avg_preserved,65,2,0.125"))
    }

    @Test func bothFiguresAreWritten() throws {
        let dir = try TestPaths.tempDir("budget-curve")
        let files = try BudgetCurve(table()).plots(to: dir.appendingPathComponent("curve"), model: "tiny")
        #expect(Set(files.map(\.lastPathComponent)) == [
            "curve-lambada.png", "curve-lambada.svg", "curve-preserved.png", "curve-preserved.svg",
        ])
        for f in files { #expect(try Data(contentsOf: f).count > 1000) }
    }
}
