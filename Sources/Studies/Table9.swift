import Analysis
import Evaluation
import Foundation

// Table 9 (§5.6, FIGURES.md Table 9): DS under a sharing config as the training-free lower bound of LiSA. It is a
// view of Table 2's cells — the same runs, documents and paired ratios — so every loss carries the paired
// delta-method s.e. of its ratio: Perf. Loss = 100 × (1 − score/base) (C9), s.e. 100 × s.e.(ratio).

/// LLaMA3-8B's DS (17) Perf. Loss per benchmark, % (paper Table 9, upper half): the levels our DS rows are set
/// against.
let paperDS17Loss: [String: Double] = [
    "boolq": 6.67, "winogrande": 11.19, "piqa": 14.97, "openbookqa": 35.19, "hellaswag": 39.22, "arc_easy": 47.12,
    "arc_challenge": 49.65, "mmlu": 63.13, "coqa": 81.20, "nq_open": 96.19, "gsm8k": 96.64, "triviaqa": 98.85,
]

/// One benchmark of Table 9: a method's Perf. Loss against the original on the same documents.
public struct Table9Loss: Sendable, Equatable {
    /// 100 × (1 − score/base) ± 100 × the paired ratio's s.e.; LAMBADA: 100 × (ppl − base ppl)/base ppl, no s.e.
    public var loss: Estimate?
    /// The level by the point estimate (nil for LAMBADA and an undefined loss).
    public var level: LossLevel?
    /// Whether loss ± 2 s.e. lies inside one level's band (a level decided beyond the noise).
    public var levelCertain: Bool

    init(_ cell: Table2Cell, base: Table2Cell, task: String) {
        if task == "lambada" {
            loss = performanceLoss(base: base.score.value, score: cell.score.value, lowerIsBetter: true)
                .map { Estimate(value: $0, se: .nan, n: cell.n) }
            level = nil; levelCertain = false
            return
        }
        guard let p = cell.preserved, p.value.isFinite else {
            loss = nil; level = nil; levelCertain = false
            return
        }
        let l = Estimate(value: 100 * (1 - p.value), se: 100 * p.se, n: p.n)
        loss = l
        level = LossLevel(loss: l.value)
        levelCertain = l.se.isFinite && LossLevel(loss: l.value - 2 * l.se) == LossLevel(loss: l.value + 2 * l.se)
    }
}

extension Table2 {
    /// Per benchmark, each method's loss against the original (the original itself has none).
    public func table9Losses() -> [String: [String: Table9Loss]] {
        var out: [String: [String: Table9Loss]] = [:]
        for t in tasks {
            guard let base = cells[t]?["original"] else { continue }
            for m in methods where m.label != "original" {
                if let c = cells[t]?[m.label] { out[t, default: [:]][m.label] = Table9Loss(c, base: base, task: t) }
            }
        }
        return out
    }

    /// Table 9 as markdown: one line per benchmark ordered by `dsLabel`'s loss (the paper's order; undefined losses
    /// and LAMBADA last), the original's score, DS's score, loss ± s.e. and level, then every other method's score
    /// and loss; below it, the levels against LLaMA3-8B's DS (17).
    public func table9Markdown(dsLabel: String, configLabel: String) -> String {
        let losses = table9Losses()
        let others = methods.filter { $0.label != "original" && $0.label != dsLabel }
        func key(_ t: String) -> (Int, Double, String) {
            (t == "lambada" ? 1 : 0, losses[t]?[dsLabel]?.loss?.value ?? .infinity, t)
        }
        let order = tasks.filter { cells[$0]?[dsLabel] != nil && cells[$0]?["original"] != nil }
            .sorted { key($0) < key($1) }
        func score(_ c: Table2Cell, _ t: String) -> String {
            t == "lambada"
                ? String(format: "%.2f", c.score.value)
                : String(format: "%.2f ± %.2f", 100 * c.score.value, 100 * c.score.se)
        }
        func loss(_ l: Table9Loss?, _ t: String) -> String {
            guard let e = l?.loss else { return "undefined (base 0)" }
            return e.se.isFinite ? String(format: "%.1f ± %.1f", e.value, e.se) : String(format: "%.1f", e.value)
        }
        var head = "| task | metric | n | original | \(configLabel) | \(configLabel) loss % | level |"
        var rule = "|---|---|---:|---:|---:|---:|---|"
        for m in others { head += " \(m.label) | \(m.label) loss % |"; rule += "---:|---:|" }
        var lines = [head, rule]
        for t in order {
            let base = cells[t]!["original"]!, ds = cells[t]![dsLabel]!, l = losses[t]?[dsLabel]
            let level =
                l.flatMap { l in l.level.map { "\($0.rawValue) (\($0.colour))" + (l.levelCertain ? "" : " *") } }
                ?? (t == "lambada" ? "– (reported apart)" : "–")
            var line = "| \(t) | \(ds.metric) | \(ds.n) | \(score(base, t))"
            if let r = base.majorityRate { line += String(format: " (majority class %.1f)", 100 * r) }
            line += " | \(score(ds, t)) | \(loss(l, t)) | \(level) |"
            for m in others {
                guard let c = cells[t]?[m.label] else { line += " — | — |"; continue }
                line += " \(score(c, t)) | \(loss(losses[t]?[m.label], t)) |"
            }
            lines.append(line)
        }
        lines += [
            "",
            "Scores in % ± one s.e. (LAMBADA: perplexity); Perf. Loss = 100 × (base − score) / base (FIGURES.md C9) "
                + "on the same documents, ± 100 × the paired ratio's delta-method s.e.; levels by \(configLabel)'s "
                + "loss: low < 40 ≤ moderate < 70 ≤ high, negative = low; * = loss ± 2 s.e. crosses a level boundary.",
        ]
        if let c = levelComparison(dsLabel: dsLabel, losses: losses) { lines += ["", c] }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `dsLabel`'s levels against LLaMA3-8B's DS (17) on the benchmarks both have: how many share a level, which do
    /// not, and the Spearman correlation of the two loss orders.
    func levelComparison(dsLabel: String, losses: [String: [String: Table9Loss]]) -> String? {
        let shared = tasks.compactMap { t -> (String, Double, Double)? in
            guard let ours = losses[t]?[dsLabel]?.loss?.value, ours.isFinite, let paper = paperDS17Loss[t] else {
                return nil
            }
            return (t, ours, paper)
        }
        guard shared.count >= 2 else { return nil }
        let differ = shared.filter { LossLevel(loss: $0.1) != LossLevel(loss: $0.2) }
        let rho = spearman(shared.map(\.1), shared.map(\.2))
        return String(
            format: "Against LLaMA3-8B's DS (17) (paper Table 9): the same level on %d of %d benchmarks%@; Spearman "
                + "correlation of the losses %.2f over those %d.",
            shared.count - differ.count, shared.count,
            differ.isEmpty
                ? ""
                : " (differing: "
                    + differ.map {
                        String(format: "%@ %@ %.1f vs %@ %.1f", $0.0, LossLevel(loss: $0.1).rawValue, $0.1,
                               LossLevel(loss: $0.2).rawValue, $0.2)
                    }.joined(separator: ", ") + ")", rho, shared.count)
    }
}

/// Spearman's rank correlation (average ranks for ties): the Pearson correlation of the ranks.
func spearman(_ a: [Double], _ b: [Double]) -> Double {
    func ranks(_ x: [Double]) -> [Double] {
        let order = x.indices.sorted { x[$0] < x[$1] }
        var r = [Double](repeating: 0, count: x.count), i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count, x[order[j + 1]] == x[order[i]] { j += 1 }
            for k in i...j { r[order[k]] = Double(i + j) / 2 + 1 }
            i = j + 1
        }
        return r
    }
    let ra = ranks(a), rb = ranks(b)
    let ma = mean(ra), mb = mean(rb)
    var num = 0.0, da = 0.0, db = 0.0
    for (x, y) in zip(ra, rb) { num += (x - ma) * (y - mb); da += (x - ma) * (x - ma); db += (y - mb) * (y - mb) }
    return da > 0 && db > 0 ? num / (da * db).squareRoot() : .nan
}
