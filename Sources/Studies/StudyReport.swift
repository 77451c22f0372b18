import Foundation
import GGUF
import Plots
import Store

/// Draws a run's plots from stored results and writes reports/<study>/report.md (no recomputation).
/// Data files, scripts and SVGs go to reports/<study>/tmp/ (git-ignored); PNGs are copied beside report.md.
public struct StudyReport {
    let store: LisaStore
    let spec: StudySpec
    let runId: Int64
    let reportsDir: String
    let modelPath: String?

    public init(store: LisaStore, spec: StudySpec, runId: Int64, reportsDir: String, modelPath: String? = nil) {
        self.store = store; self.spec = spec; self.runId = runId; self.reportsDir = reportsDir; self.modelPath = modelPath
    }

    /// Returns the report files written (report.md and PNGs).
    public func write() throws -> [String] {
        let folder = try ReportFolder(reportsDir: reportsDir, study: spec.name)
        let dir = folder.dir, tmp = folder.tmp
        let run = try store.run(id: runId)
        let model = try store.model(id: run.modelId)
        let tasks = try spec.tasks().map(\.rawValue)
        let globals = (try store.result(runId: runId, task: "_model", kind: "layout"))
            .flatMap { try? ResultJSON.decode([String: [Int]].self, $0)["globalLayers"] } ?? []
        func get<T: Decodable>(_ t: T.Type, _ task: String, _ kind: String) throws -> T? {
            try store.result(runId: runId, task: task, kind: kind).map { try ResultJSON.decode(t, $0) }
        }
        let modelName = model?.fileName ?? "model"
        var images: [String] = []
        func keep(_ urls: [URL], kind: String) throws {
            for u in urls {
                try store.addPlot(runId: runId, kind: kind, path: u.path)
                if u.pathExtension == "png" {
                    _ = try folder.publish(u)
                    images.append(u.lastPathComponent)
                }
            }
        }
        for plot in spec.plots {
            switch plot {
            case .s1Heatmap, .s1ExclFirstHeatmap, .twoSentenceHeatmap:
                let kind = plot == .s1Heatmap ? "s1" : plot == .s1ExclFirstHeatmap ? "s1_excl_first" : "two_sentence"
                var panels: [HeatmapPanel] = []
                for t in tasks {
                    if kind == "two_sentence" {
                        if let r = try get(TwoSentenceResult.self, t, kind) { panels.append(HeatmapPanel(title: "\(t) (\(r.pairs) pairs)", matrix: r.matrix)) }
                    } else if let r = try get(S1Result.self, t, kind) {
                        panels.append(HeatmapPanel(title: "\(t) (N=\(r.samples))", matrix: r.matrix))
                    }
                }
                guard !panels.isEmpty else { throw StudyError.noResults(study: spec.name, what: kind) }
                let label = ["s1": "S1 JSD, last token", "s1_excl_first": "S1 JSD, first token dropped (Fig 4b)",
                             "two_sentence": "two-sentence baseline (Fig 4a)"][kind]!
                try keep(Heatmap.draw(panels, globalLayers: globals, title: "\(spec.name): \(label), \(modelName)" + (globals.isEmpty ? "" : "; G = global layer"),
                                      to: tmp.appendingPathComponent("\(spec.name)-\(kind)")), kind: plot.rawValue)
            case .s2Lines:
                for t in tasks {
                    guard let r = try get(S2Result.self, t, "s2") else { continue }
                    let names = [("position", "position"), ("randomExpectation", "random pair (expectation)"),
                                 ("similarity", "similarity (per sample)"), ("static", "static map (ours)")]
                    let series = names.compactMap { key, title -> LineSeries? in
                        guard let y = r.curves[key] else { return nil }
                        let x = (1...y.count).map(Double.init)
                        var band: (low: [Double], high: [Double])?
                        if let ph = r.perHead[key] { band = (ph.map { quantile($0, 0.25) }, ph.map { quantile($0, 0.75) }) }
                        return LineSeries(title: title, x: x, y: y, band: band)
                    }
                    try keep(LinePlot.draw(series, title: "\(spec.name) \(t): S2 of layer pair (n-1, n), N=\(r.samples), \(modelName); band = IQR over heads",
                                           xlabel: "layer n (0-based), pair (n-1, n)", ylabel: "mean JSD (nats)", keyOutside: true,
                                           to: tmp.appendingPathComponent("\(spec.name)-s2-\(t)")), kind: plot.rawValue)
                }
            case .cosineLines:
                for t in tasks {
                    guard let r = try get(CosineResult.self, t, "cosine") else { continue }
                    let series = submoduleNames.compactMap { n -> LineSeries? in
                        guard let y = r.curves[n] else { return nil }
                        return LineSeries(title: n == "A" ? "A = QK^T s" : n == "C" ? "C = PV" : n == "O" ? "O = C W_O" : n, x: (1...y.count).map(Double.init), y: y)
                    }
                    try keep(LinePlot.draw(series, title: "\(spec.name) \(t): cosine of sub-modules, layers (n-1, n), N=\(r.samples), \(modelName)",
                                           xlabel: "layer n (0-based), pair (n-1, n)", ylabel: "cosine similarity", yrange: (-1.0, 1.05), keyOutside: true,
                                           to: tmp.appendingPathComponent("\(spec.name)-cosine-\(t)")), kind: plot.rawValue)
                }
            case .distributions:
                for t in tasks {
                    guard let r = try get(DistributionsResult.self, t, "distributions") else { continue }
                    for p in r.pairs {
                        let x = p.pa.indices.map(Double.init)
                        let s = [LineSeries(title: "layer \(p.a)", x: x, y: p.pa), LineSeries(title: "layer \(p.b)", x: x, y: p.pb)]
                        let tag = String(format: "%.2f", p.target)
                        try keep(LinePlot.draw(s, title: String(format: "%@ record %d: layers %d vs %d, JSD = %.3f nats (target %.2f)", t, r.recordIndex, p.a, p.b, p.jsd, p.target),
                                               xlabel: "key position (0-based)", ylabel: "head-averaged attention",
                                               to: tmp.appendingPathComponent("\(spec.name)-dist-\(t)-\(tag)")), kind: plot.rawValue)
                    }
                }
            }
        }
        let md = try ReportMarkdown(store: store, spec: spec, run: run, model: model, tasks: tasks, images: images).text()
        let mdURL = dir.appendingPathComponent("report.md")
        try writeAtomically(Data(md.utf8), to: mdURL.path)
        return [mdURL.path] + images.map { dir.appendingPathComponent($0).path }
    }
}

func quantile(_ v: [Double], _ q: Double) -> Double {
    let s = v.sorted()
    guard !s.isEmpty else { return 0 }
    let pos = q * Double(s.count - 1)
    let lo = Int(pos.rounded(.down)), hi = min(lo + 1, s.count - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - Double(lo))
}
