import Analysis
import Foundation
import Store

/// report.md: the verdict per claim, our numbers with standard errors, run facts, data files and deviations.
/// Standard errors: bootstrap over samples (1,000 seeded resamples) for JSD means and counts; paired
/// per-sample differences for comparisons on the same samples (FIGURES.md C4/C5, issue 17 items 2–3).
struct ReportMarkdown {
    let store: LisaStore
    let spec: StudySpec
    let run: RunRecord
    let model: ModelRecord?
    let tasks: [String]
    let images: [String]
    var globals: [Int] = []
    var dataFiles: [String] = []
    var notes: [String] = []
    /// The study's claims judged on this run (`StudyReport` computes them once for the report and verdicts.json).
    var verdicts: [ClaimVerdict] = []

    private var seed: UInt64 { spec.seed ^ 0xB0075_7A9 }

    /// What key 0 is: the BOS only where the tokenizer adds one (Gemma, LLaMA; Qwen2.5 adds none), read off the
    /// piece the table shows for it.
    static func firstKey(_ r: TopKResult) -> String {
        let first = r.layers.lazy.flatMap { $0 }.first { $0.index == 0 }?.piece
        guard let first else { return "index 0 is the first token" }
        return ["<bos>", "<s>", "<|begin_of_text|>"].contains(first)
            ? "BOS at index 0" : "no BOS: index 0 is the prompt's first token"
    }

    func text() throws -> String {
        func get<T: Decodable>(_ t: T.Type, _ task: String, _ kind: ResultKind) throws -> T? {
            try store.result(t, kind: kind, runId: run.id!, task: task)
        }
        func f(_ x: Double) -> String { String(format: "%.4f", x) }
        func boot(_ v: [Double]?) -> String {
            v.map { bootstrapMean($0, resamples: bootstrapResamples, seed: seed).formatted() } ?? "–"
        }
        var s = "# \(spec.title)\n\n"
        s += "Study `\(spec.name)` (studies/\(spec.name).yaml), run \(run.id!), \(run.toolVersion). "
        s +=
            "Model \(model?.fileName ?? "?") (\(model?.arch ?? "?"), \(model?.nLayers ?? 0) layers, "
            + "\(model?.nHeads ?? 0) query heads; sha256 \(model?.sha256.prefix(12) ?? "")…). "
        s +=
            "Seed \(spec.seed). Layers are 0-based (FIGURES.md C1); JSD in nats (C4: divergence, natural log, "
            + "maximum ln 2 ≈ 0.693; "
        s += "the paper's thresholds 0.05 / 0.1 are read in the same unit).\n\n"
        if !globals.isEmpty {
            s +=
                "Global (full-attention) layers: \(globals.map(String.init).joined(separator: ", ")); the others use "
                + "a sliding window.\n\n"
        }
        s += String(
            format: "Capture: %d tokens in %.1f s (%.0f tokens/s); analyses %.1f s.\n\n",
            run.tokens, run.captureSeconds, Double(run.tokens) / max(run.captureSeconds, 1e-9), run.analysisSeconds)
        s +=
            "Every ± is one standard error: bootstrap over samples (\(bootstrapResamples) seeded resamples) for JSD "
            + "means and counts "
            + "(counts with their 95 % percentile interval), the analytic s.e. of a mean for cosines and matrix "
            + "cells, and paired "
            + "per-sample differences where two quantities are measured on the same samples.\n\n"
        if !verdicts.isEmpty {
            s += "## Verdicts\n\n" + verdictTable(verdicts) + "\n"
            s +=
                "Rules: studies/VERDICTS.md; \"inside the noise\" = the claimed threshold or difference lies within "
                + "2 s.e.\n\n"
        }
        if let c = spec.claim { s += "## Paper's claim\n\n> \(c)\n\n" }
        s += "## Our numbers\n\n"
        var s1Rows: [String] = []
        var s2Rows: [String] = []
        var s2Paired: [String] = []
        var baseRows: [String] = []
        var localRows: [String] = []
        for t in tasks {
            if let r = try get(S1Result.self, t, .s1) {
                let est = adjacentEstimates(r, seed: seed)
                func count(_ th: Double) -> String {
                    let below = r.adjacent.filter { $0 < th }.count
                    guard let per = r.perSampleAdjacent else { return "\(below)/\(r.adjacent.count)" }
                    let c = bootstrapCountBelow(per, threshold: th, resamples: bootstrapResamples, seed: seed)
                    return String(format: "%d/%d (%.0f–%.0f)", below, r.adjacent.count, c.low ?? .nan, c.high ?? .nan)
                }
                let k = r.adjacent.indices.max { r.adjacent[$0] < r.adjacent[$1] } ?? 0
                let maxCell = est.map { $0[k].formatted() } ?? f(r.adjacent.max() ?? 0)
                s1Rows.append(
                    "| \(t) | \(r.samples) | \(String(format: "%.0f", r.meanTokens)) | "
                        + "\(boot(r.perSampleAdjacent?.map(mean))) "
                        + "| \(count(0.05)) | \(count(0.1)) | \(maxCell) (pair \(k)–\(k + 1)) | "
                        + "\(boot(r.perSampleOffDiagonal)) |"
                )
                if !globals.isEmpty, let per = r.perSampleAdjacent {
                    let g = Set(globals)
                    let touching = r.adjacent.indices.filter { g.contains($0) || g.contains($0 + 1) }
                    let local = r.adjacent.indices.filter { !touching.contains($0) }
                    let a = per.map { row in mean(local.map { row[$0] }) }
                    let b = per.map { row in mean(touching.map { row[$0] }) }
                    localRows.append(
                        "| \(t) | \(bootstrapMean(a, seed: seed).formatted()) (\(local.count) pairs) "
                            + "| \(bootstrapMean(b, seed: seed).formatted()) (\(touching.count) pairs) | "
                            + "\(pairedDifference(b, a).formatted()) |"
                    )
                }
            }
            if let r = try get(S2Result.self, t, .s2) {
                func m(_ k: String) -> String {
                    if let per = r.perSample?[k] {
                        return bootstrapMean(per.map(mean), resamples: bootstrapResamples, seed: seed).formatted()
                    }
                    return r.curves[k].map { f(mean($0)) } ?? "–"
                }
                s2Rows.append(
                    "| \(t) | \(r.samples) | \(m("position")) | \(m("randomExpectation")) | \(m("randomSingleDraw")) "
                        + "| \(m("similarity")) | \(m("hungarian")) | \(m("static")) |"
                )
                if let per = r.perSample, let p = per["position"], let q = per["similarity"],
                    let x = per["randomExpectation"]
                {
                    let pos = p.map(mean)
                    let sim = q.map(mean)
                    let rnd = x.map(mean)
                    s2Paired.append(
                        "| \(t) | \(pairedDifference(pos, sim).formatted()) | "
                            + "\(String(format: "%.2f", mean(pos) / max(mean(sim), 1e-12))) "
                            + "| \(pairedDifference(pos, rnd).formatted()) | "
                            + "\(String(format: "%.3f", mean(pos) / max(mean(rnd), 1e-12))) |"
                    )
                }
            }
            let ex = try get(S1Result.self, t, .s1ExclFirst)
            let two = try get(TwoSentenceResult.self, t, .twoSentence)
            if ex != nil || two != nil {
                let twoAdj = two.flatMap { $0.perPairAdjacent?.map(mean) }
                let twoDiag = two.flatMap { $0.perPairDiagonal?.map(mean) }
                baseRows.append(
                    "| \(t) | \(boot(ex?.perSampleAdjacent?.map(mean))) | \(boot(ex?.perSampleOffDiagonal)) | "
                        + "\(two.map { "\($0.pairs)" } ?? "–") "
                        + "| \(boot(twoAdj)) | \(boot(twoDiag)) | \(two.map { f(meanAll($0.matrix)) } ?? "–") |")
            }
        }
        s += markdownTable(
            intro: "S1 (head-averaged last-token rows, mean over samples; counts with their 95 % bootstrap interval):",
            header:
                "| task | N | mean tokens | adjacent mean | adjacent < 0.05 | adjacent < 0.1 | max adjacent | "
                + "off-diagonal mean |",
            rows: s1Rows)
        s += markdownTable(
            intro:
                "Adjacent S1 JSD of pairs between two sliding-window layers vs pairs that touch a global layer (a "
                + "measurement of "
                + "what Gemma's layer types contribute; paired over samples):",
            header: "| task | local–local pairs | pairs touching a global layer | difference (global − local) |",
            rows: localRows)
        s += markdownTable(
            intro:
                "S2 over adjacent pairs (per sample: mean over pairs and heads; then mean over samples ± bootstrap "
                + "s.e.):",
            header:
                "| task | N | position | random (expectation) | random (one draw) | similarity | Hungarian (ours) | "
                + "static map (ours) |",
            rows: s2Rows)
        s += markdownTable(
            intro: "S2 comparisons on the same samples (paired per-sample differences):",
            header: "| task | position − similarity | position / similarity | position − random | position / random |",
            rows: s2Paired)
        s += markdownTable(
            intro:
                "Fig 4: first-token ablation (S1 after dropping key 0) and two-sentence baseline (unrelated inputs "
                + "of equal length):",
            header:
                "| task | ablation adjacent mean | ablation off-diagonal mean | two-sentence pairs | two-sentence "
                + "adjacent B(k, k+1) | two-sentence same layer B(l, l) | two-sentence mean (all a, b) |",
            rows: baseRows)
        for t in tasks {
            guard let r = try get(CosineResult.self, t, .cosine) else { continue }
            let per = try store.results(runId: run.id!).filter {
                $0.task == t && $0.resultKind == .cosine && $0.sampleId != 0
            }
            .map { try ResultJSON.decode([String: [Double]].self, $0.value) }
            s +=
                "Fig 5a: cosine of sub-modules between adjacent layers, \(t), N = \(r.samples) (mean over pairs ± "
                + "bootstrap s.e. over samples; min–max over pairs):\n\n"
            s += "| sub-module | mean | min | max |\n|---|---|---|---|\n"
            for n in submoduleNames {
                guard let c = r.curves[n], !c.isEmpty else { continue }
                let v = per.compactMap { $0[n].map { mean($0.filter(\.isFinite)) } }
                s +=
                    "| \(n) | \(v.count > 1 ? bootstrapMean(v, seed: seed).formatted() : f(mean(c))) | "
                    + "\(f(c.min()!)) | \(f(c.max()!)) |\n"
            }
            s += "\n"
        }
        for t in tasks {
            guard let r = try get(TopKResult.self, t, .topK) else { continue }
            s +=
                "Top-5 attended keys (head mean), \(t) record \(r.recordIndex) (\(r.nTokens) tokens, "
                + "\(Self.firstKey(r))), "
                + "weight / index / piece:\n\n"
            s += topKTable(r) + "\n"
        }
        for t in tasks {
            guard let r = try get(DistributionsResult.self, t, .distributions) else { continue }
            s +=
                "Fig 12: layer pairs of \(t) record \(r.recordIndex) (\(r.pairs.first?.pa.count ?? 0) tokens) "
                + "nearest each target JSD "
                + "(one sample, so no standard error: these are examples):\n\n"
            s += "| target | layers (0-based) | JSD (nats) |\n|---|---|---|\n"
            for p in r.pairs { s += "| \(p.target) | \(p.a), \(p.b) | \(f(p.jsd)) |\n" }
            s += "\n"
        }
        for step in spec.generation?.steps ?? [] {
            guard let g = try get(GenerationTopKResult.self, "story", .topKStep(step)) else { continue }
            s +=
                "Top-5 attended keys (head mean), story prompt \"\(g.prompt)\" (\(g.promptTokens) tokens, "
                + "\(Self.firstKey(g.topK))), "
                + "generation step \(g.step) (query at position \(g.promptTokens - 1 + g.step - 1)), weight / "
                + "index / piece:\n\n"
            s += topKTable(g.topK) + "\n"
            if step == spec.generation?.steps.max() {
                s +=
                    "Generated text (greedy, EOS ignored): "
                    + "`\(g.generated.prefix(300).replacingOccurrences(of: "\n", with: "\\n").replacingOccurrences(of: "`", with: "'"))…`\n\n"
            }
        }
        if !notes.isEmpty { s += notes.map { "- \($0)" }.joined(separator: "\n") + "\n\n" }
        if !images.isEmpty {
            s +=
                "## Figures\n\n"
                + images.map {
                    "![\($0)](\($0)) (vector: "
                        + "[\($0.replacingOccurrences(of: ".png", with: ".svg"))](\($0.replacingOccurrences(of: ".png", with: ".svg"))))"
                }
                .joined(separator: "\n\n") + "\n\n"
        }
        if !dataFiles.isEmpty {
            s +=
                "## Data\n\nThe numbers behind the figures and tables, tidy CSV in this folder: "
                + dataFiles.map { "[`\($0)`](\($0))" }.joined(separator: ", ") + ". "
                + "`lisa export --run \(run.id!) --tidy DIR` writes the same files from the database; `--json` every "
                + "stored result.\n\n"
        }
        s +=
            "## Reproduce\n\n```sh\nlisa study run studies/\(spec.name).yaml   # capture, analyses, this report "
            + "(--resume continues a stopped run)\n"
            + "lisa report --study \(spec.name)              # redraw from the database, no recomputation\n```\n\n"
        if let d = spec.deviations, !d.isEmpty {
            s += "## Deviations\n\n" + d.map { "- \($0)" }.joined(separator: "\n") + "\n"
        }
        return s
    }

    private func topKTable(_ r: TopKResult) -> String {
        var s = "| layer (0-based) | 1 | 2 | 3 | 4 | 5 |\n|---|---|---|---|---|---|\n"
        for (l, e) in r.layers.enumerated() {
            let cells = e.map {
                "\(String(format: "%.2f", $0.weight)) / \($0.index) / "
                    + "`\($0.piece.replacingOccurrences(of: "\n", with: "\\n").replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "`", with: "'"))`"
            }
            s += "| \(l)\(globals.contains(l) ? " (G)" : "") | " + cells.joined(separator: " | ") + " |\n"
        }
        return s
    }

    private func meanAll(_ m: [[Double]]) -> Double {
        let v = m.flatMap { $0 }
        return v.reduce(0, +) / Double(max(v.count, 1))
    }
}

/// A report table: the sentence that introduces it, its header row and its rows (none: nothing at all).
func markdownTable(intro: String, header: String, rows: [String]) -> String {
    guard !rows.isEmpty else { return "" }
    let columns = header.split(separator: "|").count
    return intro + "\n\n" + header + "\n|" + String(repeating: "---|", count: columns) + "\n"
        + rows.joined(separator: "\n") + "\n\n"
}
