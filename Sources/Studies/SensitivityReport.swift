import Evaluation
import Foundation
import GGUF
import Plots
import Store

/// reports/<study>/ for a sensitivity study, from the stored sweeps (no recomputation): per task a CSV,
/// a figure (Fig 9 ranking bars or Fig 6/13 per-pair curves, PNG and SVG) and report.md.
/// Pair labels are 1-based (FIGURES.md C1); gnuplot scripts and data go to tmp/.
public struct SensitivityReport {
    let store: LisaStore
    let spec: SensitivityStudySpec
    let runId: Int64
    let reportsDir: String

    public init(store: LisaStore, spec: SensitivityStudySpec, runId: Int64, reportsDir: String) {
        self.store = store; self.spec = spec; self.runId = runId; self.reportsDir = reportsDir
    }

    public func write() throws -> [String] {
        let folder = try ReportFolder(reportsDir: reportsDir, study: spec.name)
        let dir = folder.dir, tmp = folder.tmp
        let run = try store.run(id: runId)
        let model = try store.model(id: run.modelId)
        let sweeps = try storedSweeps(store: store, runId: runId)
        let load = try store.result(runId: runId, task: "_machine", kind: "loadavg") ?? "{}"
        var md = ["# \(spec.title)", "",
                  "Model: `\(model?.fileName ?? "?")` (sha256 `\(model?.sha256.prefix(16) ?? "")…`), study run \(runId), seed \(spec.seed). "
                  + String(format: "Scoring time %.0f s for all configurations; ", run.captureSeconds)
                  + "load averages (1/5/15 min) before and after: \(load) on the shared 2-core machine.", ""]
        if let c = spec.claim { md += ["**Paper:** \(c)", ""] }
        var files: [String] = []
        for entry in spec.tasks {
            guard let s = sweeps[entry.task] else { throw StudyError.noResults(study: spec.name, what: "sweep for \(entry.task)") }
            let csv = dir.appendingPathComponent("\(entry.task)_sensitivity.csv")
            try Self.csv(s).write(to: csv, atomically: true, encoding: .utf8)
            files.append(csv.path)
            let base = tmp.appendingPathComponent("\(entry.task)_\(spec.figure.rawValue)")
            let images = spec.figure == .ranking ? try rankingPlot(s, base: base) : try curvesPlot(s, base: base)
            for u in images {
                let dest = try folder.publish(u)
                try store.addPlot(runId: runId, kind: "sensitivity_\(spec.figure.rawValue)", path: dest.path)
                files.append(dest.path)
            }
            md += section(s, entry: entry, image: "\(entry.task)_\(spec.figure.rawValue).png")
        }
        if let d = spec.deviations, !d.isEmpty { md += ["## Deviations", ""] + d.map { "- \($0)" } + [""] }
        md += ["Regenerate: `lisa study run studies/\(spec.name).yaml` (results in the study database; `--resume` continues a stopped run)."]
        let report = dir.appendingPathComponent("report.md")
        try writeAtomically(Data(md.joined(separator: "\n").appending("\n").utf8), to: report.path)
        return [report.path] + files
    }

    func section(_ s: SensitivityResult, entry: SensitivityTaskEntry, image: String) -> [String] {
        let floor = s.baseline * Double(s.n) < 10
        var md = ["## \(s.task) (\(s.shots)-shot, n = \(s.n) per configuration, metric \(s.metric)\(entry.file.map { ", data \($0)" } ?? ""))", "",
                  String(format: "Baseline (all layers standard): %.1f ± %.1f %%.", 100 * s.baseline, 100 * s.baselineStandardError)
                  + (floor ? " The baseline solves fewer than 10 items: the 90 % marker is meaningless here (\"floor\", FIGURES.md Fig 6)." : ""), "",
                  "![\(s.task)](\(image))", "",
                  "| rank | pair (1-based) | layers (0-based) | DS % | DS / baseline | ≥ 90 % | uniform % |",
                  "|---:|---|---|---:|---:|:---:|---:|"]
        for (i, p) in s.ranking.enumerated() {
            let ratio = s.baseline > 0 ? String(format: "%.3f", p.ds / s.baseline) : "–"
            let mark = floor ? "floor" : (p.dsAtLeast90(baseline: s.baseline) ? "▲" : "●")
            let uni = p.uniform.isNaN ? "–" : String(format: "%.1f ± %.1f", 100 * p.uniform, 100 * p.uniformStandardError)
            md.append(String(format: "| %d | %@ | %d, %d | %.1f ± %.1f | %@ | %@ | %@ |", i + 1, p.pair.label, p.pair.first, p.pair.second,
                             100 * p.ds, 100 * p.dsStandardError, ratio, mark, uni))
        }
        return md + ["", "Ranking: DS score descending; ties by the uniform score (when measured), then the deeper pair first (FIGURES.md Fig 9).", ""]
    }

    /// One row per pair in sweep order, 1-based label and 0-based layers.
    static func csv(_ s: SensitivityResult) -> String {
        let rank = Dictionary(uniqueKeysWithValues: s.ranking.enumerated().map { ($1.pair, $0 + 1) })
        var out = "pair_1based,first_0based,second_0based,ds,ds_se,uniform,uniform_se,baseline,baseline_se,ds_over_baseline,rank\n"
        for p in s.pairs {
            out += "\(p.pair.label),\(p.pair.first),\(p.pair.second),\(p.ds),\(p.dsStandardError),\(p.uniform),\(p.uniformStandardError),"
                + "\(s.baseline),\(s.baselineStandardError),\(s.baseline > 0 ? p.ds / s.baseline : .nan),\(rank[p.pair]!)\n"
        }
        return out
    }

    /// Fig 9: DS score per pair in descending order (bars with ±1 s.e.), baseline and 90 % lines.
    func rankingPlot(_ s: SensitivityResult, base: URL) throws -> [URL] {
        let dat = base.appendingPathExtension("dat")
        try s.ranking.map { "\"\($0.pair.label)\" \(100 * $0.ds) \(100 * $0.dsStandardError)" }.joined(separator: "\n")
            .appending("\n").write(to: dat, atomically: true, encoding: .utf8)
        let b = 100 * s.baseline
        let body = """
            set title "\(s.task): layer-pair robustness ranking under DS (n = \(s.n), \(s.metric))"
            set xlabel "layer pair (1-based), most robust first"
            set ylabel "\(s.metric) (%)"
            set yrange [0:\(max(b, (s.pairs.map { 100 * $0.ds }.max() ?? 0)) * 1.25 + 1)]
            set style fill solid 0.6 border -1
            set boxwidth 0.7
            set grid ytics
            set offsets 0.6, 0.6, 0, 0
            set key top right
            plot '\(dat.path)' using 0:2:xtic(1) with boxes lc rgb "#4477aa" title "DS on the pair", \\
              '' using 0:2:3 with yerrorbars lc rgb "black" pt -1 notitle, \\
              \(b) with lines lc rgb "red" lw 2 title "baseline", \\
              \(0.9 * b) with lines lc rgb "red" dt 2 title "90 % of baseline"
            """
        return try Gnuplot.render(base: base, size: (760, 440), body: body)
    }

    /// Fig 6/13: DS and uniform per pair in sweep order, ±1 s.e.; triangle if ≥ 0.9 × baseline, else circle.
    func curvesPlot(_ s: SensitivityResult, base: URL) throws -> [URL] {
        let dat = base.appendingPathExtension("dat")
        func split(_ v: Double) -> String {
            v.isNaN ? "NaN NaN" : (v >= 0.9 * s.baseline ? "\(100 * v) NaN" : "NaN \(100 * v)")
        }
        try s.pairs.map { p in "\"\(p.pair.label)\" \(100 * p.ds) \(100 * p.dsStandardError) \(split(p.ds)) "
            + "\(100 * p.uniform) \(100 * p.uniformStandardError) \(split(p.uniform))" }
            .joined(separator: "\n").appending("\n").write(to: dat, atomically: true, encoding: .utf8)
        let b = 100 * s.baseline
        let body = """
            set title "\(s.task): DS and uniform attention on one layer pair (n = \(s.n), \(s.metric))"
            set xlabel "layer pair (1-based)"
            set ylabel "\(s.metric) (%)"
            set yrange [0:\(max(b, 1) * 1.3)]
            set grid
            set offsets 0.5, 0.5, 0, 0
            set key outside right top
            plot '\(dat.path)' using 0:2:xtic(1) with lines lc rgb "#4477aa" notitle, \\
              '' using 0:2:3 with yerrorbars lc rgb "#4477aa" pt -1 notitle, \\
              '' using 0:4 with points lc rgb "#4477aa" pt 9 ps 1.4 title "DS (≥ 90 %: triangle)", \\
              '' using 0:5 with points lc rgb "#4477aa" pt 7 ps 1.2 title "DS (< 90 %: circle)", \\
              '' using 0:6 with lines lc rgb "#228833" notitle, \\
              '' using 0:6:7 with yerrorbars lc rgb "#228833" pt -1 notitle, \\
              '' using 0:8 with points lc rgb "#228833" pt 9 ps 1.4 title "uniform (≥ 90 %)", \\
              '' using 0:9 with points lc rgb "#228833" pt 7 ps 1.2 title "uniform (< 90 %)", \\
              \(b) with lines lc rgb "red" lw 2 title "baseline"
            """
        return try Gnuplot.render(base: base, size: (900, 440), body: body)
    }
}
