import Analysis
import Foundation
import Store

// Evaluates a study's verdict rules (VerdictSpec.swift) on its stored results, with standard errors:
// thresholds are judged against the 95 % bootstrap interval or ± 2 s.e. ("inside the noise" → partly).

/// The statistics a rule reads, from a capture study run or a sensitivity study run.
public struct VerdictContext {
    let store: LisaStore
    let runId: Int64
    /// The tasks of the study, in file order.
    let tasks: [String]
    let seed: UInt64
    /// Sensitivity studies: task → its primary metric.
    public var sensitivityMetrics: [String: String] = [:]

    public init(
        store: LisaStore, runId: Int64, tasks: [String], seed: UInt64, sensitivityMetrics: [String: String] = [:]
    ) {
        self.store = store
        self.runId = runId
        self.tasks = tasks
        self.seed = seed
        self.sensitivityMetrics = sensitivityMetrics
    }

    var bootstrapSeed: UInt64 { seed ^ 0xB0075_7A9 }

    func get<T: Decodable>(_ t: T.Type, _ task: String, _ kind: ResultKind) throws -> T? {
        try store.result(t, kind: kind, runId: runId, task: task)
    }

    public func evaluate(_ claims: [ClaimSpec]) -> [ClaimVerdict] {
        claims.map { c in
            ClaimVerdict(
                claim: c,
                outcomes: c.rules.map { r in
                    do { return try evaluate(r) } catch {
                        return RuleOutcome(measurement: "–", agrees: .notApplicable, why: "\(error)")
                    }
                })
        }
    }

    /// One rule over its task, or over every task of the study that holds the measure (combined).
    public func evaluate(_ r: VerdictRule) throws -> RuleOutcome {
        let candidates = r.task.map { [$0] } ?? tasks
        var parts: [(String, RuleOutcome)] = []
        for t in candidates { if let o = try evaluate(r, task: t) { parts.append((t, o)) } }
        guard !parts.isEmpty else {
            return RuleOutcome(
                measurement: "–", agrees: .notApplicable, why: "no stored result for \(r.measure) in this run")
        }
        if parts.count == 1 { return parts[0].1 }
        let whys = parts.filter { $0.1.agrees != .yes }.map { "\($0.0): \($0.1.why)" }
        return RuleOutcome(
            measurement: parts.map { "\($0.0): \($0.1.measurement)" }.joined(separator: "; "),
            agrees: Agreement.combine(parts.map(\.1.agrees)), why: whys.joined(separator: "; "))
    }

    private func evaluate(_ r: VerdictRule, task t: String) throws -> RuleOutcome? {
        guard var o = try measure(r, task: t) else { return nil }
        if let n = o.n, n < minimumVerdictSamples, o.agrees != .notApplicable {
            o.why = "N = \(n) < \(minimumVerdictSamples): too few samples for a verdict"
            o.agrees = .notApplicable
        }
        return o
    }

    private func measure(_ r: VerdictRule, task t: String) throws -> RuleOutcome? {
        switch r.measure {
        case "s1_adjacent_below": return try s1AdjacentBelow(r, t)
        case "s1_adjacent_mean_below", "s1_offdiagonal_mean_below": return try s1MeanBelow(r, t)
        case "s2_mean_below": return try s2MeanBelow(r, t)
        case "s2_compare": return try s2Compare(r, t)
        case "two_sentence_above": return try twoSentenceAbove(r, t)
        case "cosine_mean": return try cosineMean(r, t)
        case "shallow_vs_deep": return try shallowVsDeep(r, t)
        case "deep_keeps": return try deepKeeps(r, t)
        default: return nil
        }
    }

    private func missing(_ what: String) -> RuleOutcome {
        RuleOutcome(
            measurement: "–", agrees: .notApplicable,
            why: "the stored \(what) predates per-sample data; `lisa report` recomputes it from the stored rows")
    }

    // MARK: capture studies

    private func s1AdjacentBelow(_ r: VerdictRule, _ t: String) throws -> RuleOutcome? {
        guard let s1 = try get(S1Result.self, t, r.s1Kind) else { return nil }
        guard let per = s1.perSampleAdjacent else { return missing("S1 result") }
        let th = r.threshold!
        let pairs = s1.adjacent.count
        let count = bootstrapCountBelow(per, threshold: th, seed: bootstrapSeed)
        let lo = count.low ?? count.value
        let hi = count.high ?? count.value
        let m = String(
            format: "%.0f of %d adjacent pairs < %g (95 %% bootstrap interval %.0f–%.0f; N = %d)",
            count.value, pairs, th, lo, hi, per.count)
        func meets(_ c: Double) -> Bool {
            switch r.expect ?? "most" {
            case "all": return c >= Double(pairs)
            case "none": return c == 0
            default: return c > Double(pairs) / 2
            }
        }
        let expect = r.expect ?? "most"
        let n = per.count
        if meets(lo) && meets(hi) { return RuleOutcome(measurement: m, agrees: .yes, why: "", n: n) }
        if !meets(lo) && !meets(hi) {
            return RuleOutcome(
                measurement: m, agrees: .no, why: "\(expect) expected; the whole interval falls short", n: n)
        }
        return RuleOutcome(
            measurement: m, agrees: .partly, why: "inside the noise: the interval straddles \"\(expect)\"", n: n)
    }

    /// A mean against a threshold with ± 2 s.e.
    private func belowThreshold(_ e: Estimate, _ th: Double, what: String, digits: Int = 4) -> RuleOutcome {
        let m = "\(what) \(e.formatted(digits)) (N = \(e.n))"
        if e.value + 2 * e.se < th { return RuleOutcome(measurement: m, agrees: .yes, why: "", n: e.n) }
        if e.value - 2 * e.se > th {
            return RuleOutcome(
                measurement: m, agrees: .no, why: String(format: "above %g by more than 2 s.e.", th), n: e.n)
        }
        return RuleOutcome(
            measurement: m, agrees: .partly, why: String(format: "inside the noise: %g is within 2 s.e.", th), n: e.n)
    }

    private func s1MeanBelow(_ r: VerdictRule, _ t: String) throws -> RuleOutcome? {
        guard let s1 = try get(S1Result.self, t, r.s1Kind) else { return nil }
        if r.measure == "s1_offdiagonal_mean_below" {
            guard let per = s1.perSampleOffDiagonal else { return missing("S1 result") }
            return belowThreshold(
                bootstrapMean(per, seed: bootstrapSeed), r.threshold!, what: "off-diagonal mean S1 JSD")
        }
        guard let per = s1.perSampleAdjacent else { return missing("S1 result") }
        return belowThreshold(
            bootstrapMean(per.map(mean), seed: bootstrapSeed), r.threshold!,
            what: (r.s1Kind == .s1ExclFirst ? "first-token-ablated " : "") + "adjacent mean S1 JSD")
    }

    private func s2PerSample(_ t: String, _ scheme: String) throws -> [Double]?? {
        guard let s2 = try get(S2Result.self, t, .s2) else { return nil }
        guard let per = s2.perSample?[scheme] else { return .some(nil) }
        return .some(per.map(mean))
    }

    private func s2MeanBelow(_ r: VerdictRule, _ t: String) throws -> RuleOutcome? {
        guard let got = try s2PerSample(t, r.scheme!) else { return nil }
        guard let per = got else { return missing("S2 result") }
        return belowThreshold(bootstrapMean(per, seed: bootstrapSeed), r.threshold!, what: "S2 \(r.scheme!) mean JSD")
    }

    private func s2Compare(_ r: VerdictRule, _ t: String) throws -> RuleOutcome? {
        guard let ga = try s2PerSample(t, r.scheme!), let gb = try s2PerSample(t, r.than!) else { return nil }
        guard let a = ga, let b = gb else { return missing("S2 result") }
        let d = pairedDifference(a, b)
        let ma = mean(a)
        let mb = mean(b)
        let m = String(
            format: "%@ %.4f vs %@ %.4f: paired difference %@ (N = %d), ratio %.2f",
            r.scheme!, ma, r.than!, mb, d.formatted(4), d.n, mb > 0 ? ma / mb : .nan)
        var o = compare(d, ratio: mb > 0 ? ma / mb : .nan, relative: mb > 0 ? abs(d.value) / mb : .nan, r, m)
        o.n = d.n
        return o
    }

    /// greater: beyond 2 s.e. and at least `factor` times; equal: within 2 s.e. or within `tolerance` relative.
    private func compare(_ d: Estimate, ratio: Double, relative: Double, _ r: VerdictRule, _ m: String) -> RuleOutcome {
        if r.expect == "equal" {
            let tol = r.tolerance ?? 0.1
            if !d.beyond() { return RuleOutcome(measurement: m, agrees: .yes, why: "") }
            if relative <= tol { return RuleOutcome(measurement: m, agrees: .yes, why: "") }
            if relative <= 2.5 * tol {
                return RuleOutcome(
                    measurement: m, agrees: .partly,
                    why: String(format: "differ beyond 2 s.e. by %.0f %%", 100 * relative))
            }
            return RuleOutcome(
                measurement: m, agrees: .no, why: String(format: "differ by %.0f %% (beyond 2 s.e.)", 100 * relative))
        }
        let factor = r.factor ?? 1
        if d.value > 2 * d.se {
            if ratio >= factor { return RuleOutcome(measurement: m, agrees: .yes, why: "") }
            return RuleOutcome(
                measurement: m, agrees: .partly,
                why: String(
                    format: "greater beyond 2 s.e., but the ratio %.2f is below the claimed %.2g×", ratio, factor))
        }
        if d.value < -2 * d.se {
            return RuleOutcome(measurement: m, agrees: .no, why: "the opposite order, beyond 2 s.e.")
        }
        return RuleOutcome(measurement: m, agrees: .partly, why: "inside the noise: the difference is within 2 s.e.")
    }

    private func twoSentenceAbove(_ r: VerdictRule, _ t: String) throws -> RuleOutcome? {
        guard let two = try get(TwoSentenceResult.self, t, .twoSentence), let s1 = try get(S1Result.self, t, .s1)
        else { return nil }
        guard let pa = two.perPairAdjacent, let ps = s1.perSampleAdjacent else {
            return missing("two-sentence or S1 result")
        }
        let a = bootstrapMean(pa.map(mean), seed: bootstrapSeed)
        let b = bootstrapMean(ps.map(mean), seed: bootstrapSeed)
        let d = unpairedDifference(a, b)
        let m =
            "two-sentence adjacent \(a.formatted(4)) (\(two.pairs) pairs) vs same-input adjacent \(b.formatted(4)) "
            + "(N = \(ps.count)); "
            + "difference \(d.formatted(4))"
        var rule = r
        rule.expect = "greater"
        var o = compare(d, ratio: b.value > 0 ? a.value / b.value : .nan, relative: .nan, rule, m)
        o.n = min(pa.count, ps.count)
        return o
    }

    private func cosineMean(_ r: VerdictRule, _ t: String) throws -> RuleOutcome? {
        let per = try store.results(runId: runId).filter {
            $0.task == t && $0.resultKind == .cosine && $0.sampleId != 0
        }
        .map { try ResultJSON.decode([String: [Double]].self, $0.value) }
        guard !per.isEmpty else { return nil }
        let sub = r.submodule!
        let v = per.compactMap { $0[sub].map { mean($0.filter(\.isFinite)) } }
        let e = bootstrapMean(v, seed: bootstrapSeed)
        let th = r.threshold!
        let m = "mean cosine of \(sub) over adjacent pairs \(e.formatted(3)) (N = \(e.n))"
        let above = r.expect == "above"
        if above ? e.value - 2 * e.se > th : e.value + 2 * e.se < th {
            return RuleOutcome(measurement: m, agrees: .yes, why: "", n: e.n)
        }
        if above ? e.value + 2 * e.se < th : e.value - 2 * e.se > th {
            return RuleOutcome(
                measurement: m, agrees: .no,
                why: String(format: "%@ %g by more than 2 s.e.", above ? "below" : "above", th), n: e.n)
        }
        return RuleOutcome(
            measurement: m, agrees: .partly, why: String(format: "inside the noise: %g is within 2 s.e.", th), n: e.n)
    }

    // MARK: sensitivity studies

    private func units(_ t: String) throws -> [SensitivityUnit]? {
        guard let metric = sensitivityMetrics[t] else { return nil }
        let u = try sensitivityUnits(store: store, runId: runId, task: t, metric: metric)
        return u.isEmpty ? nil : u
    }

    /// Splits the measured pairs of `policy` into the shallow and the deep half (sweep order; odd count: the
    /// middle pair goes to neither).
    private func halves(_ u: [SensitivityUnit], policy: String) -> (shallow: [SensitivityUnit], deep: [SensitivityUnit])
    {
        func first(_ x: SensitivityUnit) -> Int {
            Int(x.pairLabel?.split(whereSeparator: { !$0.isNumber }).first ?? "") ?? 0
        }
        let p = u.filter { $0.policy == policy }.sorted { first($0) < first($1) }
        let h = p.count / 2
        return (Array(p.prefix(h)), Array(p.suffix(h)))
    }

    /// Baseline items solved: below 10 the accuracy comparisons are at the floor (FIGURES.md Fig 6).
    private func floorNote(_ u: [SensitivityUnit]) -> String? {
        guard let base = u.first(where: { $0.pairLabel == nil }) else { return nil }
        let solved = base.metric.values.reduce(0, +)
        return isFloor(solved: solved, n: base.metric.count)
            ? String(format: "the baseline solves %.0f of %d items (floor)", solved, base.metric.count) : nil
    }

    private func shallowVsDeep(_ r: VerdictRule, _ t: String) throws -> RuleOutcome? {
        guard let u = try units(t) else { return nil }
        let gold = r.metric == "gold_ll"
        let (sh, dp) = halves(u, policy: r.policy!)
        guard !sh.isEmpty else {
            return RuleOutcome(
                measurement: "–", agrees: .notApplicable, why: "no \(r.policy!) configurations in this run")
        }
        if !gold, let f = floorNote(u) { return RuleOutcome(measurement: "–", agrees: .notApplicable, why: f) }
        func values(_ x: SensitivityUnit) -> [Int: Double] { gold ? x.goldLL : x.metric }
        let docs = (sh + dp).map { Set(values($0).keys) }.reduce(Set(values(sh[0]).keys)) { $0.intersection($1) }
            .sorted()
        guard docs.count > 1 else {
            return RuleOutcome(
                measurement: "–", agrees: .notApplicable,
                why: gold ? "no gold log-likelihoods stored" : "fewer than 2 documents")
        }
        // per document: mean over the deep pairs minus mean over the shallow pairs (> 0: shallow loses more)
        let perDoc = docs.map { d in mean(dp.map { values($0)[d]! }) - mean(sh.map { values($0)[d]! }) }
        let e = meanEstimate(perDoc)
        let unit = gold ? "nats of gold log-likelihood per document" : "points of \(sensitivityMetrics[t] ?? "score")"
        let scale = gold ? 1.0 : 100.0
        let m = String(
            format: "%@: deep half (%@) − shallow half (%@) = %+.3f ± %.3f %@ (paired, %d documents)", r.policy!,
            dp.compactMap(\.pairLabel).joined(separator: ", "), sh.compactMap(\.pairLabel).joined(separator: ", "),
            scale * e.value, scale * e.se, unit, e.n)
        if e.value > 2 * e.se { return RuleOutcome(measurement: m, agrees: .yes, why: "", n: e.n) }
        if e.value < -2 * e.se {
            return RuleOutcome(measurement: m, agrees: .no, why: "the deep half loses more, beyond 2 s.e.", n: e.n)
        }
        return RuleOutcome(
            measurement: m, agrees: .partly, why: "inside the noise: the difference is within 2 s.e.", n: e.n)
    }

    private func deepKeeps(_ r: VerdictRule, _ t: String) throws -> RuleOutcome? {
        guard let u = try units(t), let base = u.first(where: { $0.pairLabel == nil }) else { return nil }
        if let f = floorNote(u) { return RuleOutcome(measurement: "–", agrees: .notApplicable, why: f) }
        let (_, dp) = halves(u, policy: r.policy!)
        guard !dp.isEmpty else {
            return RuleOutcome(measurement: "–", agrees: .notApplicable, why: "no \(r.policy!) configurations")
        }
        let b = mean(Array(base.metric.values))
        let th = r.threshold!
        // kept beyond noise: the paired difference to the baseline is above (th − 1) × baseline by 2 s.e.
        var kept = 0
        var lost = 0
        for x in dp {
            let d = pairedDifference(x.metric, base.metric)
            let margin = (th - 1) * b
            if d.value - 2 * d.se > margin { kept += 1 } else if d.value + 2 * d.se < margin { lost += 1 }
        }
        let m = String(
            format:
                "%@ on the deep half: %d of %d pairs keep ≥ %.0f %% of the baseline beyond 2 s.e., %d fall below it",
            r.policy!, kept, dp.count, 100 * th, lost)
        let n = base.metric.count
        if kept > dp.count / 2 { return RuleOutcome(measurement: m, agrees: .yes, why: "", n: n) }
        if lost > dp.count / 2 {
            return RuleOutcome(measurement: m, agrees: .no, why: "most deep pairs fall below the mark", n: n)
        }
        return RuleOutcome(measurement: m, agrees: .partly, why: "inside the noise for most deep pairs", n: n)
    }
}

/// The markdown verdict table: claim (quoted, with the section) | measurement ± s.e. | agrees | why, if not.
public func verdictTable(_ verdicts: [ClaimVerdict]) -> String {
    func cell(_ s: String) -> String {
        s.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }
    var s = "| claim (quoted, section) | our measurement ± s.e. | agrees | why, if not |\n|---|---|---|---|\n"
    for v in verdicts {
        let why = v.outcomes.map(\.why).filter { !$0.isEmpty }.joined(separator: "; ")
        let note = v.agrees != .yes ? (v.claim.note.map { (why.isEmpty ? "" : " — ") + $0 } ?? "") : ""
        s +=
            "| \"\(cell(v.claim.quote))\" (\(cell(v.claim.section))) | "
            + "\(cell(v.outcomes.map(\.measurement).joined(separator: "; "))) "
            + "| \(v.agrees.rawValue) | \(cell(why + note)) |\n"
    }
    return s
}
