import Basics
import Analysis
import Foundation
import Plots
import Store

/// Draws a run's plots from stored results and writes reports/<study>/report.md with tidy CSVs of the numbers
/// behind every figure and table (no recomputation, except that results stored before per-sample statistics
/// existed are recomputed once from the stored attention rows). Gnuplot data and scripts go to
/// reports/<study>/tmp/ (git-ignored); PNG and SVG are published beside report.md.
public struct StudyReport {
    let store: LisaStore
    let spec: StudySpec
    let runId: Int64
    let reportsDir: String
    let modelPath: String?

    public init(store: LisaStore, spec: StudySpec, runId: Int64, reportsDir: String, modelPath: String? = nil) {
        self.store = store
        self.spec = spec
        self.runId = runId
        self.reportsDir = reportsDir
        self.modelPath = modelPath
    }

    /// Returns the report files written (report.md, CSVs, PNGs and SVGs).
    public func write() throws -> [String] {
        let analyses = StudyAnalyses(store: store, runId: runId, spec: spec, piece: nil)
        let stale = try analyses.outdated()
        if !stale.isEmpty { try analyses.run(only: stale) }
        let folder = try ReportFolder(reportsDir: reportsDir, study: spec.name)
        let dir = folder.dir
        let tmp = folder.tmp
        let run = try store.run(id: runId)
        let model = try store.model(id: run.modelId)
        let tasks = try spec.tasks().map(\.rawValue)
        let globals =
            store.globalLayers(runId: runId)
        func get<T: Decodable>(_ t: T.Type, _ task: String, _ kind: ResultKind) throws -> T? {
            try store.result(t, kind: kind, runId: runId, task: task)
        }
        let modelName = (model?.fileName ?? "model").replacingOccurrences(of: ".gguf", with: "")
        let seed = spec.seed ^ 0xB0075_7A9
        var images: [String] = []
        var published: [String] = []
        var notes: [String] = []
        func keep(_ urls: [URL], kind: String) throws {
            for u in urls {
                let dest = try folder.publish(u)
                try store.addPlot(runId: runId, kind: kind, path: dest.path)
                published.append(dest.path)
                if u.pathExtension == "png" { images.append(u.lastPathComponent) }
            }
        }
        let gMark = globals.isEmpty ? "" : "; G = global (full-attention) layer"

        // Data beside every figure and table.
        let data = StudyData(dir: dir, seed: seed, globals: Set(globals))
        var csv: [String] = []
        for t in tasks {
            if let r = try get(S1Result.self, t, .s1) { csv += try data.s1(r, task: t, kind: .s1) }
            if let r = try get(S1Result.self, t, .s1ExclFirst) {
                csv += try data.s1(r, task: t, kind: .s1ExclFirst)
            }
            if let r = try get(TwoSentenceResult.self, t, .twoSentence) { csv += try data.twoSentence(r, task: t) }
            if let r = try get(S2Result.self, t, .s2) { csv += try data.s2(r, task: t) }
            if let r = try get(CosineResult.self, t, .cosine) { csv += try data.cosine(r, task: t) }
            if let r = try get(DistributionsResult.self, t, .distributions) {
                csv += try data.distributions(r, task: t)
            }
            if let r = try get(TopKResult.self, t, .topK) { csv += try data.topK(r, name: t) }
        }
        for step in spec.generation?.steps ?? [] {
            if let g = try get(GenerationTopKResult.self, "story", .topKStep(step)) {
                csv += try data.topK(g.topK, name: "story_step\(step)")
            }
        }

        for plot in spec.plots {
            switch plot {
            case .s1Heatmap, .s1ExclFirstHeatmap, .twoSentenceHeatmap:
                let kind: ResultKind =
                    plot == .s1Heatmap ? .s1 : plot == .s1ExclFirstHeatmap ? .s1ExclFirst : .twoSentence
                var panels: [HeatmapPanel] = []
                for t in tasks {
                    if kind == .twoSentence {
                        if let r = try get(TwoSentenceResult.self, t, kind) {
                            panels.append(HeatmapPanel(title: "\(t) (\(r.pairs) pairs)", matrix: r.matrix))
                        }
                    } else if let r = try get(S1Result.self, t, kind) {
                        panels.append(HeatmapPanel(title: "\(t) (N = \(r.samples))", matrix: r.matrix))
                    }
                }
                guard !panels.isEmpty else {
                    if kind == .twoSentence {
                        notes.append(
                            "No two-sentence heatmap: no two samples of any task have the same token count (Fig 4a "
                                + "needs "
                                + "equal-length pairs); more samples make such pairs likely.")
                        continue
                    }
                    throw StudyError.noResults(study: spec.name, what: kind.rawValue)
                }
                let two = kind == .twoSentence
                let label =
                    kind == .s1
                    ? "S1 JSD of the last token's head-averaged attention"
                    : kind == .s1ExclFirst
                        ? "S1 JSD with the first key dropped and renormalised (Fig 4b)"
                        : "JSD between two unrelated inputs of equal length, layer a vs layer b (Fig 4a)"
                try keep(
                    Heatmap.draw(
                        panels, globalLayers: globals, title: "\(spec.name): \(label); \(modelName)\(gMark)",
                        measure: two ? "JSD" : "S1 JSD",
                        xlabel: two ? "layer b of the second input (0-based)" : "layer (0-based)",
                        ylabel: two ? "layer a of the first input (0-based)" : "layer (0-based)",
                        to: tmp.appendingPathComponent("\(spec.name)-\(kind.rawValue)")), kind: plot.rawValue)
            case .s2Lines:
                for t in tasks {
                    guard let r = try get(S2Result.self, t, .s2) else { continue }
                    // Drawing order: the reference lines first, then the key "similarity" line, then the static
                    // map as open markers only: on Gemma it lies within a few thousandths of similarity, and as a
                    // line either one hid the other.
                    var staticTitle = "static map (ours)"
                    if let st = r.curves["static"], let sim = r.curves["similarity"], st.count == sim.count {
                        let gap = zip(st, sim).map { abs($0 - $1) }.max() ?? 0
                        staticTitle += String(format: ", |Δ| ≤ %.3f", gap)  // Δ: static − similarity
                    }
                    let names = [
                        ("position", "position", 1), ("randomExpectation", "random pair (expectation)", 2),
                        ("similarity", "similarity (per sample)", 4), ("static", staticTitle, 3),
                    ]
                    let series = names.compactMap { key, title, lt -> LineSeries? in
                        guard let y = r.curves[key] else { return nil }
                        let x = (1...y.count).map(Double.init)
                        var band: (low: [Double], high: [Double])?
                        if key != "static", let ph = r.perHead[key] {
                            band = (ph.map { quantile($0, 0.25) }, ph.map { quantile($0, 0.75) })
                        }
                        return LineSeries(
                            title: title, x: x, y: y, band: band,
                            se: key == "static" ? nil : s2Estimates(r, scheme: key, seed: seed)?.map(\.se),
                            lineType: lt, openMarkers: key == "static")
                    }
                    try keep(
                        LinePlot.draw(
                            series,
                            title:
                                "\(spec.name) \(t): S2 JSD of adjacent layers (n-1, n) by head alignment, N = "
                                + "\(r.samples), \(modelName); bars ±1 s.e. (bootstrap), band = IQR over heads",
                            xlabel: "layer n (0-based) of the pair (n-1, n)"
                                + (globals.isEmpty ? "" : "; G: layer n is global"),
                            ylabel: "mean JSD (nats)", keyOutside: true, markers: markers(globals),
                            to: tmp.appendingPathComponent("\(spec.name)-s2-\(t)")), kind: plot.rawValue)
                }
            case .cosineLines:
                for t in tasks {
                    guard let r = try get(CosineResult.self, t, .cosine) else { continue }
                    // A (the paper's QK^T line) last, so it draws on top.
                    let order = submoduleNames.filter { $0 != "A" } + ["A"]
                    // A in line type 1 (blue, as the paper's QK^T line), the others in 2…7
                    let series = order.enumerated().compactMap { k, n -> LineSeries? in
                        guard let y = r.curves[n] else { return nil }
                        return LineSeries(
                            title: n == "A" ? "A = QK^T s" : n == "C" ? "C = PV" : n == "O" ? "O = C W_O" : n,
                            x: (1...y.count).map(Double.init), y: y, se: r.se?[n], lineType: n == "A" ? 1 : k + 2)
                    }
                    try keep(
                        LinePlot.draw(
                            series,
                            title:
                                "\(spec.name) \(t): cosine of attention sub-modules between layers n-1 and n, N = "
                                + "\(r.samples), \(modelName); bars ±1 s.e.",
                            xlabel: "layer n (0-based) of the pair (n-1, n)"
                                + (globals.isEmpty ? "" : "; G: layer n is global"),
                            ylabel: "cosine similarity", yrange: (-1.0, 1.1), keyOutside: true,
                            markers: markers(globals),
                            to: tmp.appendingPathComponent("\(spec.name)-cosine-\(t)")), kind: plot.rawValue)
                }
            case .distributions:
                for t in tasks {
                    guard let r = try get(DistributionsResult.self, t, .distributions) else { continue }
                    for p in r.pairs {
                        let x = p.pa.indices.map(Double.init)
                        func name(_ l: Int) -> String { "layer \(l)" + (globals.contains(l) ? " (global)" : "") }
                        let s = [
                            LineSeries(title: name(p.a), x: x, y: p.pa), LineSeries(title: name(p.b), x: x, y: p.pb),
                        ]
                        let tag = String(format: "%.2f", p.target)
                        try keep(
                            LinePlot.draw(
                                s,
                                title: String(
                                    format:
                                        "%@ %@ record %d: head-averaged attention of layers %d and %d, JSD = %.3f "
                                        + "nats (target %.2f)",
                                    spec.name, t, r.recordIndex, p.a, p.b, p.jsd, p.target),
                                xlabel: "key position (0-based)", ylabel: "attention weight", keyOutside: true,
                                to: tmp.appendingPathComponent("\(spec.name)-dist-\(t)-target\(tag)")),
                            kind: plot.rawValue)
                    }
                }
            }
        }
        var md = ReportMarkdown(store: store, spec: spec, run: run, model: model, tasks: tasks, images: images)
        md.globals = globals
        md.dataFiles = csv
        md.notes = notes
        if !stale.isEmpty {
            md.notes.append(
                "Recomputed from the stored attention rows for this report (they predated per-sample statistics): "
                    + stale.map(\.rawValue).sorted().joined(separator: ", ") + ".")
        }
        let claims = spec.claims ?? []
        md.verdicts = VerdictContext(store: store, runId: runId, tasks: tasks, seed: spec.seed).evaluate(claims)
        let mdURL = dir.appendingPathComponent("report.md")
        try writeAtomically(Data(try md.text().utf8), to: mdURL.path)
        try StudyVerdicts(
            study: spec.name, model: modelName, parameters: run.parameters, source: verdictSource(run),
            claims: claims, verdicts: md.verdicts
        ).write(dir: dir)
        return [mdURL.path, dir.appendingPathComponent(StudyVerdicts.fileName).path]
            + csv.map { dir.appendingPathComponent($0).path } + published
    }

    /// Global layers as vertical markers on a plot whose x is layer n of the pair (n − 1, n).
    private func markers(_ globals: [Int]) -> [PlotMarker] {
        globals.filter { $0 > 0 }.map { PlotMarker(x: Double($0), label: "G") }
    }
}

func quantile(_ v: [Double], _ q: Double) -> Double {
    let s = v.sorted()
    guard !s.isEmpty else { return 0 }
    let pos = q * Double(s.count - 1)
    let lo = Int(pos.rounded(.down))
    let hi = min(lo + 1, s.count - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - Double(lo))
}
