import Analysis
import Evaluation
import Foundation
import Store

// Paired statistics of a sensitivity study (issue 17, item 2), from the per-document rows its units stored:
// every configuration scored the same seeded documents as the baseline, so each configuration is compared
// with the baseline (and pairs with each other) by per-document differences. Two per-document measures:
// the task's primary metric (0/1) and the log-likelihood of the gold continuation (summed over its tokens;
// multiple choice: the gold choice's stored log-likelihood; generation: the `gold_log_likelihood` score of
// the reference solution), which moves with the model even where accuracy does not.

/// One unit (configuration) of a sensitivity study run with its per-document measures.
public struct SensitivityUnit: Sendable {
    public var label: String
    /// "standard" (baseline), "ds" or "uniform".
    public var policy: String
    /// 1-based pair label ("3–4"), nil for the baseline.
    public var pairLabel: String?
    /// document index → primary-metric score.
    public var metric: [Int: Double]
    /// document index → gold-continuation log-likelihood (empty when the run stored none).
    public var goldLL: [Int: Double]
}

/// The paired comparison of one configuration with the baseline.
public struct PairedVsBaseline: Sendable {
    public var unit: SensitivityUnit
    /// configuration − baseline, primary metric (fraction, not %).
    public var metricDelta: Estimate
    /// configuration − baseline, gold log-likelihood in nats per document (nil without gold log-likelihoods).
    public var goldLLDelta: Estimate?
}

/// The gold-continuation log-likelihood of a stored document, if it has one.
func goldLogLikelihood(_ d: DocumentResult) -> Double? {
    if let g = d.scores["gold_log_likelihood"] { return g }
    if let ll = d.logLikelihoods, let gold = d.gold, ll.indices.contains(gold) { return ll[gold] }
    return nil
}

/// The units of a sensitivity study run for one task, baseline first, in stored order.
public func sensitivityUnits(store: LisaStore, runId: Int64, task: String, metric: String) throws -> [SensitivityUnit] {
    try store.evalRuns(studyRunId: runId).filter { $0.task == task && $0.status == .finished }.map { r in
        var m: [Int: Double] = [:]
        var g: [Int: Double] = [:]
        for rec in try store.evalDocuments(runId: r.id!) {
            let d = try documentResult(rec)
            if let s = d.scores[metric] { m[d.index] = s }
            if let ll = goldLogLikelihood(d), ll.isFinite { g[d.index] = ll }
        }
        let label = r.unit ?? "baseline"
        let parts = label.split(separator: " ", maxSplits: 1).map(String.init)
        return SensitivityUnit(
            label: label, policy: parts.count == 2 ? parts[0] : "standard",
            pairLabel: parts.count == 2 ? parts[1] : nil, metric: m, goldLL: g)
    }
}

/// Each configuration against the baseline on the documents both scored.
public func pairedAgainstBaseline(_ units: [SensitivityUnit]) -> [PairedVsBaseline] {
    guard let base = units.first(where: { $0.pairLabel == nil }) else { return [] }
    return units.filter { $0.pairLabel != nil }.map { u in
        let g = u.goldLL.isEmpty || base.goldLL.isEmpty ? nil : pairedDifference(u.goldLL, base.goldLL)
        return PairedVsBaseline(unit: u, metricDelta: pairedDifference(u.metric, base.metric), goldLLDelta: g)
    }
}

/// Pairwise paired differences between configurations (`[i][j]` = i − j) for a ranking's noise statement.
public func pairwiseDifferences(_ units: [SensitivityUnit], gold: Bool) -> [[Estimate]] {
    units.map { a in units.map { b in pairedDifference(gold ? a.goldLL : a.metric, gold ? b.goldLL : b.metric) } }
}

/// Fig 9 ranking's noise statement: which ranked entries differ beyond 2 s.e. (paired), or that none do.
/// `ranked` is in ranking order; the sentence names pairs by their 1-based labels.
public func rankingNoiseStatement(_ ranked: [SensitivityUnit], gold: Bool, what: String) -> String {
    let docs = ranked.map { Set((gold ? $0.goldLL : $0.metric).keys) }.reduce(
        Set(ranked.first.map { Array((gold ? $0.goldLL : $0.metric).keys) } ?? [])
    ) { $0.intersection($1) }
    if docs.count < 10 {
        return "By \(what): \(docs.count) documents, too few for a noise check (10 at least); no ranking."
    }
    let d = pairwiseDifferences(ranked, gold: gold)
    let sep = separablePairs(d)
    let n = ranked.count
    if sep.isEmpty {
        return "By \(what), no two of the \(n) pairs differ beyond 2 s.e. (paired over the same documents): "
            + "the order is inside the noise and is not a ranking."
    }
    let total = n * (n - 1) / 2
    let listed = sep.prefix(12).map { i, j -> String in
        let e = d[i][j]
        return "\(ranked[i].pairLabel ?? "?") \(e.value > 0 ? ">" : "<") \(ranked[j].pairLabel ?? "?") "
            + "(\(String(format: "%+.3f ± %.3f", e.value, e.se)))"
    }.joined(separator: "; ")
    return "By \(what), \(sep.count) of the \(total) pairs of entries differ beyond 2 s.e. (paired): \(listed)"
        + (sep.count > 12 ? "; …" : "") + ". Entries not listed are within noise of each other."
}

/// FIGURES.md Fig 6's floor: the baseline solves fewer than 10 items (and fewer than half of them, so a small
/// subset of an easy task is not called a floor). Accuracy comparisons and the 90 % marker mean nothing there.
public func isFloor(solved: Double, n: Int) -> Bool { solved < 10 && solved < Double(n) / 2 }
