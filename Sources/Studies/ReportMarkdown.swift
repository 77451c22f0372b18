import Foundation
import Store

/// report.md: the paper's claim and our numbers side by side, run facts and deviations.
struct ReportMarkdown {
    let store: LisaStore
    let spec: StudySpec
    let run: RunRecord
    let model: ModelRecord?
    let tasks: [String]
    let images: [String]

    func text() throws -> String {
        func get<T: Decodable>(_ t: T.Type, _ task: String, _ kind: String) throws -> T? {
            try store.result(runId: run.id!, task: task, kind: kind).map { try ResultJSON.decode(t, $0) }
        }
        func f(_ x: Double) -> String { String(format: "%.4f", x) }
        var s = "# \(spec.title)\n\n"
        s += "Study `\(spec.name)` (studies/\(spec.name).yaml), run \(run.id!), \(run.toolVersion). "
        s += "Model \(model?.fileName ?? "?") (\(model?.arch ?? "?"), \(model?.nLayers ?? 0) layers, \(model?.nHeads ?? 0) query heads; sha256 \(model?.sha256.prefix(12) ?? "")…). "
        s += "Seed \(spec.seed). Layers are 0-based (FIGURES.md C1); JSD in nats (C4).\n\n"
        s += String(format: "Capture: %d tokens in %.1f s (%.0f tokens/s, 2 threads); analyses %.1f s.\n\n",
                    run.tokens, run.captureSeconds, Double(run.tokens) / max(run.captureSeconds, 1e-9), run.analysisSeconds)
        if let c = spec.claim { s += "## Paper's claim\n\n> \(c)\n\n" }
        s += "## Our numbers\n\n"
        var s1Rows: [String] = [], s2Rows: [String] = [], baseRows: [String] = []
        for t in tasks {
            if let r = try get(S1Result.self, t, "s1") {
                let below = r.adjacent.filter { $0 < 0.05 }.count
                s1Rows.append("| \(t) | \(r.samples) | \(String(format: "%.0f", r.meanTokens)) | \(f(r.adjacentMean)) | \(below)/\(r.adjacent.count) | \(f(r.adjacent.max() ?? 0)) (pair \(r.adjacent.firstIndex(of: r.adjacent.max() ?? 0) ?? 0)–\((r.adjacent.firstIndex(of: r.adjacent.max() ?? 0) ?? 0) + 1)) | \(f(r.offDiagonalMean)) |")
            }
            if let r = try get(S2Result.self, t, "s2") {
                func m(_ k: String) -> String { r.curves[k].map { f($0.reduce(0, +) / Double(max($0.count, 1))) } ?? "–" }
                s2Rows.append("| \(t) | \(r.samples) | \(m("position")) | \(m("randomExpectation")) | \(m("randomSingleDraw")) | \(m("similarity")) | \(m("hungarian")) | \(m("static")) |")
            }
            let ex = try get(S1Result.self, t, "s1_excl_first")
            let two = try get(TwoSentenceResult.self, t, "two_sentence")
            if ex != nil || two != nil {
                let twoAdj = two.map { m in (0..<(m.matrix.count - 1)).map { m.matrix[$0][$0 + 1] } }
                baseRows.append("| \(t) | \(ex.map { f($0.adjacentMean) } ?? "–") | \(ex.map { f($0.offDiagonalMean) } ?? "–") | \(two.map { "\($0.pairs)" } ?? "–") | \(twoAdj.map { f($0.reduce(0, +) / Double($0.count)) } ?? "–") | \(two.map { f(meanAll($0.matrix)) } ?? "–") |")
            }
        }
        if !s1Rows.isEmpty {
            s += "S1 (head-averaged last-token rows, mean over samples):\n\n"
            s += "| task | N | mean tokens | adjacent mean | adjacent < 0.05 | max adjacent | off-diagonal mean |\n|---|---|---|---|---|---|---|\n"
            s += s1Rows.joined(separator: "\n") + "\n\n"
        }
        if !s2Rows.isEmpty {
            s += "S2 over adjacent pairs (mean over pairs of the per-pair mean over samples and heads):\n\n"
            s += "| task | N | position | random (expectation) | random (one draw) | similarity | Hungarian (ours) | static map (ours) |\n|---|---|---|---|---|---|---|---|\n"
            s += s2Rows.joined(separator: "\n") + "\n\n"
        }
        if !baseRows.isEmpty {
            s += "Fig 4: first-token ablation (S1 after dropping key 0) and two-sentence baseline:\n\n"
            s += "| task | ablation adjacent mean | ablation off-diagonal mean | two-sentence pairs | two-sentence adjacent mean | two-sentence mean (all a, b) |\n|---|---|---|---|---|---|\n"
            s += baseRows.joined(separator: "\n") + "\n\n"
        }
        for t in tasks {
            guard let r = try get(CosineResult.self, t, "cosine") else { continue }
            s += "Fig 5a: cosine of sub-modules between adjacent layers, \(t), N = \(r.samples) (mean over pairs; min–max over pairs):\n\n"
            s += "| sub-module | mean | min | max |\n|---|---|---|---|\n"
            for n in submoduleNames { if let c = r.curves[n], !c.isEmpty { s += "| \(n) | \(f(c.reduce(0, +) / Double(c.count))) | \(f(c.min()!)) | \(f(c.max()!)) |\n" } }
            s += "\n"
        }
        for t in tasks {
            guard let r = try get(TopKResult.self, t, "top_k") else { continue }
            s += "Top-5 attended keys (head mean), \(t) record \(r.recordIndex) (\(r.nTokens) tokens, BOS at index 0), weight / index / piece:\n\n"
            s += topKTable(r) + "\n"
        }
        for t in tasks {
            guard let r = try get(DistributionsResult.self, t, "distributions") else { continue }
            s += "Fig 12: layer pairs of \(t) record \(r.recordIndex) (\(r.pairs.first?.pa.count ?? 0) tokens) nearest each target JSD:\n\n"
            s += "| target | layers (0-based) | JSD (nats) |\n|---|---|---|\n"
            for p in r.pairs { s += "| \(p.target) | \(p.a), \(p.b) | \(f(p.jsd)) |\n" }
            s += "\n"
        }
        for step in spec.generation?.steps ?? [] {
            guard let g = try get(GenerationTopKResult.self, "story", "top_k_step\(step)") else { continue }
            s += "Top-5 attended keys (head mean), story prompt \"\(g.prompt)\" (\(g.promptTokens) tokens with BOS), generation step \(g.step) (query at position \(g.promptTokens - 1 + g.step - 1)), weight / index / piece:\n\n"
            s += topKTable(g.topK) + "\n"
            if step == spec.generation?.steps.max() { s += "Generated text (greedy, EOS ignored): `\(g.generated.prefix(300).replacingOccurrences(of: "\n", with: "\\n").replacingOccurrences(of: "`", with: "'"))…`\n\n" }
        }
        if !images.isEmpty {
            s += "## Figures\n\n" + images.map { "![\($0)](\($0))" }.joined(separator: "\n\n") + "\n\n"
        }
        if let d = spec.deviations, !d.isEmpty {
            s += "## Deviations\n\n" + d.map { "- \($0)" }.joined(separator: "\n") + "\n"
        }
        return s
    }

    private func topKTable(_ r: TopKResult) -> String {
        var s = "| layer (0-based) | 1 | 2 | 3 | 4 | 5 |\n|---|---|---|---|---|---|\n"
        for (l, e) in r.layers.enumerated() {
            let cells = e.map { "\(String(format: "%.2f", $0.weight)) / \($0.index) / `\($0.piece.replacingOccurrences(of: "\n", with: "\\n").replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "`", with: "'"))`" }
            s += "| \(l) | " + cells.joined(separator: " | ") + " |\n"
        }
        return s
    }

    private func meanAll(_ m: [[Double]]) -> Double {
        let v = m.flatMap { $0 }
        return v.reduce(0, +) / Double(max(v.count, 1))
    }
}
