import Basics
import Analysis
import Evaluation
import Foundation
import Plots
import Store

/// reports/<study>/ for a sensitivity study, from the stored sweeps and per-document rows (no recomputation):
/// per task a tidy CSV with standard errors and paired differences against the baseline, figures (Fig 9
/// ranking bars or Fig 6/13 per-pair curves, PNG and SVG; none for the accuracy of a task at the floor), the
/// gold-continuation log-likelihood change per pair, a verdict table and report.md. Pair labels are 1-based
/// (FIGURES.md C1); gnuplot scripts and data go to tmp/.
public struct SensitivityReport {
    let store: LisaStore
    let spec: SensitivityStudySpec
    let runId: Int64
    let reportsDir: String

    public init(store: LisaStore, spec: SensitivityStudySpec, runId: Int64, reportsDir: String) {
        self.store = store
        self.spec = spec
        self.runId = runId
        self.reportsDir = reportsDir
    }

    /// Everything one task's section, CSV and plots need.
    struct TaskStats {
        let sweep: SensitivityResult
        let units: [SensitivityUnit]
        /// "ds 3–4" → paired comparison with the baseline.
        let paired: [String: PairedVsBaseline]
        let baseGold: Estimate?
        /// The baseline solves fewer than 10 items: accuracy comparisons are at the floor.
        let floor: Bool
        func vs(_ policy: String, _ p: PairScore) -> PairedVsBaseline? { paired["\(policy) \(p.pair.label)"] }
    }

    public func write() throws -> [String] {
        let folder = try ReportFolder(reportsDir: reportsDir, study: spec.name)
        let dir = folder.dir
        let tmp = folder.tmp
        let run = try store.run(id: runId)
        let model = try store.model(id: run.modelId)
        let sweeps = try storedSweeps(store: store, runId: runId)
        let load =
            try store.result([String: [Double]].self, kind: .loadavg, runId: runId, task: RunFacts.machine) ?? [:]
        let globals = store.globalLayers(runId: runId)
        var md = [
            "# \(spec.title)", "",
            "Model: `\(model?.fileName ?? "?")` (sha256 `\(model?.sha256.prefix(16) ?? "")…`), study run \(runId), "
                + "seed \(spec.seed). "
                + String(
                    format: "Scoring time %.0f s for all configurations (%.1f h%@); ", run.captureSeconds,
                    run.captureSeconds / 3600,
                    ((try? store.evalRuns(studyRunId: runId))?.contains { $0.copiedFrom != nil } ?? false)
                        ? ", including configurations copied from earlier runs, see each task" : "")
                + "load averages (1/5/15 min) before and after: \(CanonicalJSON.string(load)).", "",
            "Every configuration scores the same seeded documents as the baseline, so each is compared with the "
                + "baseline by "
                + "paired per-document differences (± one s.e.): of the task's primary metric, and of the "
                + "log-likelihood of the gold "
                + "continuation (nats per document, summed over its tokens; multiple choice: the gold choice; GSM8K: "
                + "the reference "
                + "solution in the CoT form), which moves where accuracy is flat. Accuracies carry lm-eval's "
                + "binomial `mean_stderr`."
                + (globals.isEmpty
                    ? ""
                    : " Pairs marked G contain a global (full-attention) layer (0-based "
                        + "\(globals.map(String.init).joined(separator: ", ")))."),
            "",
        ]
        var files: [String] = []
        var stats: [String: TaskStats] = [:]
        var metrics: [String: String] = [:]
        for entry in spec.tasks {
            guard let s = sweeps[entry.task] else {
                throw StudyError.noResults(study: spec.name, what: "sweep for \(entry.task)")
            }
            let st = try Self.stats(store: store, runId: runId, sweep: s)
            stats[entry.task] = st
            metrics[s.task] = s.metric
        }
        let claims = spec.claims ?? []
        let verdicts = VerdictContext(
            store: store, runId: runId, tasks: spec.tasks.map(\.task), seed: spec.seed, sensitivityMetrics: metrics
        ).evaluate(claims)
        if !claims.isEmpty {
            md += [
                "## Verdicts", "", verdictTable(verdicts),
                "Rules: studies/VERDICTS.md; \"inside the noise\" = the difference lies within 2 s.e.; accuracy "
                    + "rules give no verdict "
                    + "for a task whose baseline solves fewer than 10 items (floor).", "",
            ]
        }
        if let c = spec.claim { md += ["**Paper:** \(c)", ""] }
        for entry in spec.tasks {
            let st = stats[entry.task]!
            let s = st.sweep
            let csv = dir.appendingPathComponent("\(entry.task)_sensitivity.csv")
            try writeAtomically(Data(Self.csv(st).utf8), to: csv.path)
            files.append(csv.path)
            var images: [String] = []
            let base = tmp.appendingPathComponent("\(entry.task)_\(spec.figure.rawValue)")
            if !st.floor {
                let urls =
                    spec.figure == .ranking
                    ? try rankingPlot(s, globals: globals, base: base)
                    : try curvesPlot(s, globals: globals, base: base)
                for u in urls {
                    let d = try folder.publish(u)
                    try store.addPlot(runId: runId, kind: "sensitivity_\(spec.figure.rawValue)", path: d.path)
                    files.append(d.path)
                }
                images.append("\(entry.task)_\(spec.figure.rawValue).png")
            }
            if st.baseGold != nil {
                let gbase = tmp.appendingPathComponent("\(entry.task)_gold_ll")
                for u in try goldPlot(st, globals: globals, base: gbase) {
                    let d = try folder.publish(u)
                    try store.addPlot(runId: runId, kind: "sensitivity_gold_ll", path: d.path)
                    files.append(d.path)
                }
                images.append("\(entry.task)_gold_ll.png")
            }
            md += section(st, entry: entry, images: images, globals: Set(globals))
        }
        if let d = spec.deviations, !d.isEmpty { md += ["## Deviations", ""] + d.map { "- \($0)" } + [""] }
        md += [
            "## Data", "",
            "Per task `<task>_sensitivity.csv` (one row per pair: scores ± s.e., paired differences to the baseline "
                + "± s.e., "
                + "gold log-likelihood changes ± s.e., rank); every document's row is in the study database (`lisa "
                + "export`).",
            "",
            "## Reproduce", "", "```sh",
            "lisa study run studies/\(spec.name).yaml   # --resume continues a stopped run", "```",
        ]
        let report = dir.appendingPathComponent("report.md")
        try writeAtomically(Data(md.joined(separator: "\n").appending("\n").utf8), to: report.path)
        try StudyVerdicts(
            study: spec.name, model: (model?.fileName ?? "model").replacingOccurrences(of: ".gguf", with: ""),
            parameters: run.parameters, source: verdictSource(run), claims: claims, verdicts: verdicts
        ).write(dir: dir)
        return [report.path, dir.appendingPathComponent(StudyVerdicts.fileName).path] + files
    }

    /// One task's paired statistics from the stored units of a sensitivity run.
    static func stats(store: LisaStore, runId: Int64, sweep s: SensitivityResult) throws -> TaskStats {
        let units = try sensitivityUnits(store: store, runId: runId, task: s.task, metric: s.metric)
        let paired = Dictionary(
            pairedAgainstBaseline(units).map { ($0.unit.label, $0) }, uniquingKeysWith: { a, _ in a })
        let base = units.first { $0.pairLabel == nil }
        let solved = base.map { $0.metric.values.reduce(0, +) } ?? s.baseline * Double(s.n)
        return TaskStats(
            sweep: s, units: units, paired: paired,
            baseGold: base.flatMap { $0.goldLL.isEmpty ? nil : meanEstimate(Array($0.goldLL.values)) },
            floor: isFloor(solved: solved, n: base?.metric.count ?? s.n))
    }

    /// Which of this task's configurations were copied from identical finished runs (`copyFinishedEvalRun`): their
    /// documents, and the scoring time above, are those runs'.
    func copiedNote(task: String) -> String {
        let units = (try? store.evalRuns(studyRunId: runId).filter { $0.task == task }) ?? []
        let copied = units.filter { $0.copiedFrom != nil }
        guard !copied.isEmpty else { return "" }
        let sources = Set(copied.compactMap(\.copiedFrom)).sorted().map { "\($0)" }.joined(separator: ", ")
        return " \(copied.count) of its \(units.count) configurations were not scored here: their documents (and"
            + " their share of that time) were copied from the identical finished evaluation runs \(sources)."
    }

    func section(_ st: TaskStats, entry: SensitivityTaskEntry, images: [String], globals: Set<Int>) -> [String] {
        let s = st.sweep
        func g(_ p: LayerPair) -> String { globals.contains(p.first) || globals.contains(p.second) ? " G" : "" }
        func pct(_ e: Estimate?) -> String {
            e.map { String(format: "%+.1f ± %.1f", 100 * $0.value, 100 * $0.se) } ?? "–"
        }
        func nats(_ e: Estimate?) -> String { e.map { String(format: "%+.2f ± %.2f", $0.value, $0.se) } ?? "–" }
        var md = [
            "## \(s.task) (\(s.shots)-shot, n = \(s.n) per configuration, metric "
                + "\(s.metric)\(entry.file.map { ", data \($0)" } ?? ""))",
            "",
            String(
                format: "Baseline (all layers standard): %.1f ± %.1f %%", 100 * s.baseline,
                100 * s.baselineStandardError)
                + (st.baseGold.map {
                    String(format: "; gold-continuation log-likelihood %.2f ± %.2f nats per document", $0.value, $0.se)
                } ?? "")
                + String(format: ". Measured in %.0f s (%.2f h) of scoring for this task.", s.seconds, s.seconds / 3600)
                + copiedNote(task: s.task),
            "",
        ]
        if st.floor {
            md += [
                "**Floor:** the baseline solves fewer than 10 of \(s.n) items (FIGURES.md Fig 6), so no accuracy "
                    + "figure is drawn and the 90 % marker "
                    + "is meaningless; the gold log-likelihood below is the usable signal.", "",
            ]
        }
        md += images.map {
            "![\(s.task)](\($0)) (vector: "
                + "[\($0.replacingOccurrences(of: ".png", with: ".svg"))](\($0.replacingOccurrences(of: ".png", with: ".svg"))))"
        }
        if !images.isEmpty { md.append("") }
        let hasUniform = s.pairs.contains { !$0.uniform.isNaN }
        md += [
            "| rank | pair (1-based) | layers (0-based) | DS % | DS − base (paired) | DS Δ gold log-lik | ≥ 90 % |"
                + (hasUniform ? " uniform % | uniform − base | uniform Δ gold log-lik |" : ""),
            "|---:|---|---|---:|---:|---:|:---:|" + (hasUniform ? "---:|---:|---:|" : ""),
        ]
        for (i, p) in s.ranking.enumerated() {
            let mark = st.floor ? "floor" : (p.dsAtLeast90(baseline: s.baseline) ? "▲" : "●")
            let ds = st.vs("ds", p)
            let un = st.vs("uniform", p)
            var row = String(
                format: "| %d | %@%@ | %d, %d | %.1f ± %.1f | %@ | %@ | %@ |", i + 1, p.pair.label, g(p.pair),
                p.pair.first, p.pair.second,
                100 * p.ds, 100 * p.dsStandardError, pct(ds?.metricDelta), nats(ds?.goldLLDelta), mark)
            if hasUniform {
                row += String(
                    format: " %@ | %@ | %@ |",
                    p.uniform.isNaN
                        ? "–" : String(format: "%.1f ± %.1f", 100 * p.uniform, 100 * p.uniformStandardError),
                    pct(un?.metricDelta), nats(un?.goldLLDelta))
            }
            md.append(row)
        }
        md += [
            "",
            "Ranking: DS score descending; ties by the uniform score (when measured), then the deeper pair first "
                + "(FIGURES.md Fig 9). "
                + "Differences are in points of \(s.metric) (paired over the \(s.n) documents) and nats of gold "
                + "log-likelihood per document.",
            "",
        ]
        // Is the order a ranking? Paired differences between the DS configurations.
        let dsUnits = s.ranking.compactMap { p in st.units.first { $0.label == "ds \(p.pair.label)" } }
        if dsUnits.count > 1 {
            md.append(
                "**Noise check (DS).** "
                    + (st.floor
                        ? "By \(s.metric): at the floor, no ranking. "
                        : rankingNoiseStatement(dsUnits, gold: false, what: s.metric) + " "))
            if st.baseGold != nil {
                let byGold = dsUnits.sorted { mean(Array($0.goldLL.values)) > mean(Array($1.goldLL.values)) }
                md[md.count - 1] += rankingNoiseStatement(byGold, gold: true, what: "gold log-likelihood")
                md += [
                    "",
                    "Ranking by the paired gold log-likelihood change under DS (most robust first): "
                        + byGold.map { u in "\(u.pairLabel ?? "?") (\(nats(st.paired[u.label]?.goldLLDelta)))" }.joined(
                            separator: ", ") + ".",
                ]
            }
            md.append("")
        }
        return md
    }

    /// One row per pair in sweep order, 1-based label and 0-based layers, with the paired statistics.
    static func csv(_ st: TaskStats) -> String {
        let s = st.sweep
        let rank = Dictionary(uniqueKeysWithValues: s.ranking.enumerated().map { ($1.pair, $0 + 1) })
        var out =
            "pair_1based,first_0based,second_0based,ds,ds_se,uniform,uniform_se,baseline,baseline_se,ds_over_baseline,rank,"
            + "ds_minus_baseline,ds_minus_baseline_se,ds_gold_ll_delta,ds_gold_ll_delta_se,uniform_minus_baseline,uniform_minus_baseline_se,"
            + "uniform_gold_ll_delta,uniform_gold_ll_delta_se,baseline_gold_ll,baseline_gold_ll_se,n,floor\n"
        func e(_ x: Estimate?) -> String { x.map { "\(num($0.value)),\(num($0.se))" } ?? "," }
        for p in s.pairs {
            let ds = st.vs("ds", p)
            let un = st.vs("uniform", p)
            out +=
                "\(p.pair.label),\(p.pair.first),\(p.pair.second),\(num(p.ds)),\(num(p.dsStandardError)),\(num(p.uniform)),"
                + "\(num(p.uniformStandardError)),\(num(s.baseline)),\(num(s.baselineStandardError)),"
                + "\(s.baseline > 0 ? num(p.ds / s.baseline) : ""),\(rank[p.pair]!),\(e(ds?.metricDelta)),\(e(ds?.goldLLDelta)),"
                + "\(e(un?.metricDelta)),\(e(un?.goldLLDelta)),\(e(st.baseGold)),\(s.n),\(st.floor ? 1 : 0)\n"
        }
        return out
    }

    private func tic(_ p: LayerPair, _ globals: [Int]) -> String {
        p.label + (globals.contains(p.first) || globals.contains(p.second) ? " G" : "")
    }

    /// Fig 9: DS score per pair in descending order (bars with ±1 s.e.), baseline and 90 % lines.
    func rankingPlot(_ s: SensitivityResult, globals: [Int], base: URL) throws -> [URL] {
        let dat = base.appendingPathExtension("dat")
        try s.ranking.map { "\"\(tic($0.pair, globals))\" \(100 * $0.ds) \(100 * $0.dsStandardError)" }.joined(
            separator: "\n"
        )
        .appending("\n").write(to: dat, atomically: true, encoding: .utf8)
        let b = 100 * s.baseline
        let body = """
            set title "\(Gnuplot.wrap("\(s.task): layer-pair robustness ranking under DS (n = \(s.n), \(s.metric), ±1 s.e.)", width: Gnuplot.titleWidth(760)))"
            set xlabel "layer pair (1-based), most robust first\(globals.isEmpty ? "" : "; G = contains a global layer")"
            set ylabel "\(s.metric) (%)"
            set yrange [0:\(max(b, (s.pairs.map { 100 * $0.ds }.max() ?? 0)) * 1.25 + 1)]
            set style fill solid 0.6 border -1
            set boxwidth 0.7
            set grid ytics lc rgb "#dddddd"
            set offsets 0.6, 0.6, 0, 0
            set key top right box opaque
            plot '\(dat.path)' using 0:2:xtic(1) with boxes lt 1 title "DS on the pair", \\
              '' using 0:2:3 with yerrorbars lt 8 dt 1 lw 1.5 pt -1 notitle, \\
              \(b) with lines lt 2 lc rgb "#cc0000" dt 1 title "baseline", \\
              \(0.9 * b) with lines lt 2 lc rgb "#cc0000" dt 2 title "90 % of baseline"
            """
        return try Gnuplot.render(base: base, size: (760, 440), body: body)
    }

    /// Fig 6/13: DS and uniform per pair in sweep order, ±1 s.e.; triangle if ≥ 0.9 × baseline, else circle.
    func curvesPlot(_ s: SensitivityResult, globals: [Int], base: URL) throws -> [URL] {
        let dat = base.appendingPathExtension("dat")
        func split(_ v: Double) -> String {
            v.isNaN ? "NaN NaN" : (v >= 0.9 * s.baseline ? "\(100 * v) NaN" : "NaN \(100 * v)")
        }
        try s.pairs.map { p in
            "\"\(tic(p.pair, globals))\" \(100 * p.ds) \(100 * p.dsStandardError) \(split(p.ds)) "
                + "\(100 * p.uniform) \(100 * p.uniformStandardError) \(split(p.uniform))"
        }
        .joined(separator: "\n").appending("\n").write(to: dat, atomically: true, encoding: .utf8)
        let b = 100 * s.baseline
        let body = """
            set title "\(Gnuplot.wrap("\(s.task): DS and uniform attention on one layer pair (n = \(s.n), \(s.metric), ±1 s.e.)", width: Gnuplot.titleWidth(660)))"
            set xlabel "layer pair (1-based)\(globals.isEmpty ? "" : "; G = contains a global layer")"
            set ylabel "\(s.metric) (%)"
            set yrange [0:\(max(b, 1) * 1.3)]
            set grid lc rgb "#dddddd"
            set offsets 0.5, 0.5, 0, 0
            set key outside right top box opaque
            # the baseline first (below the points); DS a little left of the pair, uniform a little right, so equal
            # scores do not hide each other
            plot \(b) with lines lc rgb "#cc0000" lw 2 dt 1 title "baseline", \\
              '\(dat.path)' using 0:(NaN):xtic(1) notitle, '' using ($0-0.08):2 with lines lt 1 notitle, \\
              '' using ($0-0.08):2:3 with yerrorbars lt 1 pt -1 notitle, \\
              '' using ($0-0.08):4 with points lt 1 pt 9 ps 1.4 title "DS (≥ 90 %: triangle)", \\
              '' using ($0-0.08):5 with points lt 1 pt 7 ps 1.2 title "DS (< 90 %: circle)", \\
              '' using ($0+0.08):6 with lines lt 3 notitle, \\
              '' using ($0+0.08):6:7 with yerrorbars lt 3 pt -1 notitle, \\
              '' using ($0+0.08):8 with points lt 3 pt 9 ps 1.4 title "uniform (≥ 90 %)", \\
              '' using ($0+0.08):9 with points lt 3 pt 7 ps 1.2 title "uniform (< 90 %)"
            """
        return try Gnuplot.render(base: base, size: (900, 440), body: body)
    }

    /// Paired change of the gold-continuation log-likelihood against the baseline, per pair and policy, ±1 s.e.
    func goldPlot(_ st: TaskStats, globals: [Int], base: URL) throws -> [URL] {
        let s = st.sweep
        let order = spec.figure == .ranking ? s.ranking : s.pairs
        let dat = base.appendingPathExtension("dat")
        func cols(_ e: Estimate?) -> String { e.map { "\($0.value) \($0.se)" } ?? "NaN NaN" }
        try order.map { p in
            "\"\(tic(p.pair, globals))\" \(cols(st.vs("ds", p)?.goldLLDelta)) \(cols(st.vs("uniform", p)?.goldLLDelta))"
        }
        .joined(separator: "\n").appending("\n").write(to: dat, atomically: true, encoding: .utf8)
        let hasUniform = order.contains { st.vs("uniform", $0)?.goldLLDelta != nil }
        let body = """
            set title "\(Gnuplot.wrap("\(s.task): change of the gold continuation's log-likelihood against the baseline, per pair (paired over n = \(s.n) documents, ±1 s.e.)", width: Gnuplot.titleWidth(660)))"
            set xlabel "layer pair (1-based)\(spec.figure == .ranking ? ", in the order of the accuracy ranking" : "")\(globals.isEmpty ? "" : "; G = contains a global layer")"
            set ylabel "Δ log-likelihood (nats per document)"
            set grid lc rgb "#dddddd"
            set offsets 0.5, 0.5, 0, 0
            set key outside right top box opaque
            set xzeroaxis lt -1
            plot '\(dat.path)' using 0:(NaN):xtic(1) notitle, '' using ($0-0.06):2:3 with yerrorlines lt 1 title "DS − baseline"\(hasUniform ? ", \\\n  '' using ($0+0.06):4:5 with yerrorlines lt 3 title \"uniform − baseline\"" : "")
            """
        return try Gnuplot.render(base: base, size: (900, 440), body: body)
    }
}
