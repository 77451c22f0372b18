import Analysis
import Foundation
import Plots

// Issue 18's token-budget curve (item 3) from Table 2's rows: each trained run is a row labelled FAMILY-TOKENS
// (scripts/lisa-budgets: lisa-100000, ds-lora-400000), the original model and DS the two lines it moves between.
// Two measures: LAMBADA log-perplexity (= −mean log-likelihood of the target; DS raises it, training should bring
// it back down) and the paper's average preserved (LAMBADA apart). The trend is a least-squares line in
// log10(tokens), the shape such curves take over the decades plotted; it says how many tokens would close half
// and 90 % of DS's gap at that rate — an extrapolation, stated as one.

/// One trained run: a method family at one budget.
public struct BudgetPoint: Sendable, Equatable {
    public var family: String
    public var tokens: Int
    /// The Table 2 row's label.
    public var label: String
    /// ln(LAMBADA perplexity), s.e. of its paired difference from the original (NaN without that pairing).
    public var lambadaLogPerplexity: Estimate?
    /// Average preserved (%) over the scored benchmarks.
    public var preserved: Estimate?
}

/// A least-squares line y = intercept + slope · log10(tokens) through one family's points.
public struct BudgetTrend: Sendable, Equatable {
    public var slope: Double
    public var intercept: Double
    /// The slope's s.e. from the residuals (nil with fewer than 3 points: a line through 2 has no residual).
    public var slopeSE: Double?
    public var points: Int
    /// The budget at which the line reaches `y`, for a line that should move in the sign of `direction` as tokens
    /// grow (nil when it does not: slope 0 or of the other sign — more tokens would not get there at this rate).
    public func tokens(reaching y: Double, direction: Double) -> Double? {
        guard slope * direction > 0 else { return nil }
        return pow(10, (y - intercept) / slope)
    }

    /// Ordinary least squares of `ys` on log10(`tokens`); nil with fewer than 2 distinct budgets.
    public static func fit(tokens: [Int], _ ys: [Double]) -> BudgetTrend? {
        let xs = tokens.map { log10(Double($0)) }
        guard xs.count == ys.count, Set(xs).count >= 2 else { return nil }
        let n = Double(xs.count)
        let mx = xs.reduce(0, +) / n, my = ys.reduce(0, +) / n
        let sxx = zip(xs, xs).reduce(0) { $0 + ($1.0 - mx) * ($1.1 - mx) }
        let sxy = zip(xs, ys).reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) }
        let slope = sxy / sxx, intercept = my - slope * mx
        var se: Double?
        if xs.count >= 3 {
            let rss = zip(xs, ys).reduce(0) { $0 + pow($1.1 - (intercept + slope * $1.0), 2) }
            se = (rss / (n - 2) / sxx).squareRoot()
        }
        return BudgetTrend(slope: slope, intercept: intercept, slopeSE: se, points: xs.count)
    }
}

/// The curve: every family's points by budget, and the original and DS levels they are measured against.
public struct BudgetCurve: Sendable {
    /// family → points, fewest tokens first.
    public var families: [(name: String, points: [BudgetPoint])]
    public var originalLogPerplexity: Double?
    public var dsLabel: String
    public var dsLogPerplexity: Estimate?
    public var dsPreserved: Estimate?

    /// The measures a curve is drawn for.
    public enum Measure: String, CaseIterable, Sendable {
        case lambadaLogPerplexity = "LAMBADA log-perplexity"
        case preserved = "average preserved (%)"
    }

    /// Reads `table`'s rows: FAMILY-TOKENS labels become points; `dsLabel`'s row and the original are the levels.
    public init(_ table: Table2, dsLabel: String = "ds") {
        self.dsLabel = dsLabel
        let lambada = table.cells["lambada"] ?? [:]
        func logPerplexity(_ label: String) -> Estimate? {
            guard let c = lambada[label], c.score.value > 0 else { return nil }
            // ln ppl = −mean log-likelihood: its paired s.e. against the original is that of the log-lik difference
            let se = table.referenceLabel == "original" ? (c.vsReference?.se ?? .nan) : .nan
            return Estimate(value: log(c.score.value), se: se, n: c.n)
        }
        originalLogPerplexity = lambada["original"].map { log($0.score.value) }
        dsLogPerplexity = logPerplexity(dsLabel)
        let averages = table.averages
        dsPreserved = averages[dsLabel]?.0
        var byFamily: [String: [BudgetPoint]] = [:], order: [String] = []
        for m in table.methods {
            guard let dash = m.label.lastIndex(of: "-"), let tokens = Int(m.label[m.label.index(after: dash)...]),
                tokens > 0, dash > m.label.startIndex
            else { continue }
            let family = String(m.label[..<dash])
            if byFamily[family] == nil { order.append(family) }
            byFamily[family, default: []].append(
                BudgetPoint(
                    family: family, tokens: tokens, label: m.label, lambadaLogPerplexity: logPerplexity(m.label),
                    preserved: averages[m.label]?.0))
        }
        families = order.map { ($0, byFamily[$0]!.sorted { $0.tokens < $1.tokens }) }
    }

    func value(_ p: BudgetPoint, _ m: Measure) -> Estimate? {
        m == .lambadaLogPerplexity ? p.lambadaLogPerplexity : p.preserved
    }

    /// The levels of a measure: (original, DS).
    func levels(_ m: Measure) -> (original: Double?, ds: Double?) {
        m == .lambadaLogPerplexity ? (originalLogPerplexity, dsLogPerplexity?.value) : (100, dsPreserved?.value)
    }

    /// The share of DS's gap to the original that `y` closes (0: at DS, 1: at the original).
    public func gapClosed(_ y: Double, _ m: Measure) -> Double? {
        let (o, d) = levels(m)
        guard let o, let d, o != d else { return nil }
        return (d - y) / (d - o)
    }

    public func trend(_ family: String, _ m: Measure) -> BudgetTrend? {
        guard let pts = families.first(where: { $0.name == family })?.points else { return nil }
        let have = pts.compactMap { p in value(p, m).map { (p.tokens, $0.value) } }
        return BudgetTrend.fit(tokens: have.map(\.0), have.map(\.1))
    }

    /// Tidy CSV: one line per (family, budget, measure), with the share of DS's gap closed.
    public func csv() -> String {
        var lines = ["family,tokens,label,measure,value,se,gap_closed"]
        func f(_ x: Double?) -> String { x.map { $0.isFinite ? String(format: "%.10g", $0) : "" } ?? "" }
        for (_, pts) in families {
            for p in pts {
                for m in Measure.allCases {
                    guard let e = value(p, m) else { continue }
                    let key = m == .lambadaLogPerplexity ? "lambada_log_perplexity" : "avg_preserved"
                    lines.append(
                        [p.family, "\(p.tokens)", p.label, key, f(e.value), f(e.se), f(gapClosed(e.value, m))]
                            .joined(separator: ","))
                }
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The trend statements: per family and measure, the line's slope per decade of tokens and the budgets it
    /// would need to close half and 90 % of DS's gap.
    public func markdown() -> String {
        var lines = [
            "| family | measure | budgets | slope per 10× tokens | closed at the largest budget | half the gap at | "
                + "90 % of the gap at |",
            "|---|---|---:|---:|---:|---:|---:|",
        ]
        func tokens(_ t: Double?) -> String {
            guard let t else { return "not reached at this rate" }
            return t >= 1e9 ? String(format: "%.1f B", t / 1e9) : t >= 1e6 ? String(format: "%.1f M", t / 1e6)
                : String(format: "%.0f k", t / 1e3)
        }
        for (name, pts) in families {
            for m in Measure.allCases {
                let have = pts.filter { value($0, m) != nil }
                guard let last = have.last, let y = value(last, m) else { continue }
                let closed = gapClosed(y.value, m).map { String(format: "%.1f %%", 100 * $0) } ?? "—"
                let (o, d) = levels(m)
                guard let t = trend(name, m), let o, let d else {
                    lines.append(
                        "| \(name) | \(m.rawValue) | \(have.count) | — (one budget: no trend yet) | \(closed) | — | — |")
                    continue
                }
                let slope =
                    t.slopeSE.map { String(format: "%+.3f ± %.3f", t.slope, $0) } ?? String(format: "%+.3f", t.slope)
                lines.append(
                    "| \(name) | \(m.rawValue) | \(have.count) | \(slope) | \(closed) | "
                        + "\(tokens(t.tokens(reaching: d + 0.5 * (o - d), direction: o - d))) | "
                        + "\(tokens(t.tokens(reaching: d + 0.9 * (o - d), direction: o - d))) |")
            }
        }
        var out = lines.joined(separator: "\n") + "\n"
        out +=
            "\nLevels: original \(levelText(levels(.lambadaLogPerplexity).original)) "
            + "LAMBADA log-perplexity, 100 % preserved; \(dsLabel) "
            + "\(levelText(dsLogPerplexity?.value)) and "
            + "\(dsPreserved.map { String(format: "%.1f ± %.1f %%", $0.value, $0.se) } ?? "—"). "
            + "Gap closed = (DS − method) / (DS − original). The budgets for half and 90 % of the gap extend a "
            + "least-squares line in log10(tokens) through the budgets measured: an extrapolation, as good as the "
            + "line's fit (with 2 budgets, a line through both).\n"
        return out
    }

    func levelText(_ v: Double?) -> String { v.map { String(format: "%.3f", $0) } ?? "—" }

    /// One figure per measure (PNG and SVG at `base`-lambada and `base`-preserved): each family's points with
    /// their s.e. (families side by side at each budget), the original and DS as flat lines across the budgets.
    @discardableResult
    public func plots(to base: URL, model: String) throws -> [URL] {
        let all = families.flatMap { $0.points.map(\.tokens) }
        guard let lo = all.min(), let hi = all.max() else { return [] }
        let xr = (Double(lo) / 2, Double(hi) * 2)
        var files: [URL] = []
        for m in Measure.allCases {
            let (o, d) = levels(m)
            var series: [LineSeries] = []
            // the flat levels first, so the measured points draw on top of them
            if let o { series.append(LineSeries(title: "original", x: [xr.0, xr.1], y: [o, o], lineType: 7)) }
            if let d { series.append(LineSeries(title: "DS (untrained)", x: [xr.0, xr.1], y: [d, d], lineType: 8)) }
            for (i, (name, pts)) in families.enumerated() {
                // families at the same budget are drawn a little apart (±2 % of a decade each) so that no error bar
                // hides another
                let dodge = pow(10, 0.02 * (Double(i) - Double(families.count - 1) / 2))
                let have = pts.compactMap { p in value(p, m).map { (Double(p.tokens) * dodge, $0) } }
                guard !have.isEmpty else { continue }
                let ses = have.map { $0.1.se.isFinite ? $0.1.se : 0 }
                series.append(
                    LineSeries(
                        title: name, x: have.map(\.0), y: have.map(\.1.value), se: ses, lineType: i + 1))
            }
            // the flat levels are the extremes: pad the range so they do not run along the frame
            let ys = series.flatMap { s in s.y.indices.flatMap { [s.y[$0] - (s.se?[$0] ?? 0), s.y[$0] + (s.se?[$0] ?? 0)] } }
            let (ylo, yhi) = (ys.min() ?? 0, ys.max() ?? 1)
            let pad = max(yhi - ylo, 1e-6) * 0.08
            let what = m == .lambadaLogPerplexity ? "lambada" : "preserved"
            let ylabel =
                m == .lambadaLogPerplexity
                ? "LAMBADA log-perplexity (nats; ± paired s.e. vs original)" : "average preserved (%, ± s.e.)"
            files += try LinePlot.draw(
                series, title: "\(model): \(m.rawValue) against training tokens", xlabel: "training tokens",
                ylabel: ylabel, yrange: (ylo - pad, yhi + pad), logX: true, xrange: xr, xFormat: "%.0s%c",
                keyOutside: true,
                to: base.deletingLastPathComponent().appendingPathComponent(base.lastPathComponent + "-" + what))
        }
        return files
    }
}
