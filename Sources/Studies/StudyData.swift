import Basics
import Analysis
import Foundation

// The numbers behind a capture study's plots and tables, as tidy CSV beside report.md (issue 17, item 4),
// with the standard errors the report prints: bootstrap over samples (1,000 seeded resamples) for adjacent
// JSDs and S2 curves, the analytic s.e. of a mean for matrix cells and cosines. Layers 0-based.

/// Bootstrap settings shared by the report, its CSVs and the verdicts (the same seed gives the same numbers).
let bootstrapResamples = 1000

/// Per-pair adjacent S1 estimates (bootstrap) of a stored S1 result; nil when it predates per-sample data.
func adjacentEstimates(_ r: S1Result, seed: UInt64) -> [Estimate]? {
    r.perSampleAdjacent.map { bootstrapMeanVector($0, resamples: bootstrapResamples, seed: seed) }
}

/// Per-pair S2 estimates of one scheme (bootstrap over samples).
func s2Estimates(_ r: S2Result, scheme: String, seed: UInt64) -> [Estimate]? {
    r.perSample?[scheme].map { bootstrapMeanVector($0, resamples: bootstrapResamples, seed: seed) }
}

/// Writes `name` beside report.md and returns its file name.
func writeCSV(_ dir: URL, _ name: String, header: [String], rows: [[String]]) throws -> String {
    let text = ([header] + rows).map { $0.joined(separator: ",") }.joined(separator: "\n") + "\n"
    try writeAtomically(Data(text.utf8), to: dir.appendingPathComponent(name).path)
    return name
}

func num(_ x: Double) -> String { x.isFinite ? String(format: "%.6g", x) : "" }
func csvText(_ s: String) -> String { "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }

/// One study's CSV files, from its stored results.
struct StudyData {
    let dir: URL
    let seed: UInt64
    let globals: Set<Int>

    func s1(_ r: S1Result, task: String, kind: ResultKind) throws -> [String] {
        var rows: [[String]] = []
        for a in r.matrix.indices {
            for b in r.matrix[a].indices {
                rows.append([
                    "\(a)", "\(b)", num(r.matrix[a][b]), r.matrixSE.map { num($0[a][b]) } ?? "", "\(r.samples)",
                ])
            }
        }
        var files = [
            try writeCSV(
                dir, "\(kind.rawValue)_\(task).csv",
                header: ["layer_a", "layer_b", "jsd_mean_nats", "jsd_se", "n_samples"],
                rows: rows)
        ]
        let est = adjacentEstimates(r, seed: seed)
        let adj = r.adjacent.indices.map { k -> [String] in
            let e = est?[k]
            return [
                "\(k)", "\(k + 1)", globals.contains(k) || globals.contains(k + 1) ? "1" : "0", num(r.adjacent[k]),
                e.map { num($0.se) } ?? "", e?.low.map(num) ?? "", e?.high.map(num) ?? "", "\(r.samples)",
            ]
        }
        files.append(
            try writeCSV(
                dir, "\(kind.rawValue)_adjacent_\(task).csv",
                header: [
                    "layer_a", "layer_b", "touches_global", "jsd_mean_nats", "jsd_se_bootstrap",
                    "ci95_low", "ci95_high", "n_samples",
                ], rows: adj))
        return files
    }

    func twoSentence(_ r: TwoSentenceResult, task: String) throws -> [String] {
        var rows: [[String]] = []
        for a in r.matrix.indices {
            for b in r.matrix[a].indices { rows.append(["\(a)", "\(b)", num(r.matrix[a][b]), "\(r.pairs)"]) }
        }
        return [
            try writeCSV(
                dir, "two_sentence_\(task).csv",
                header: [
                    "layer_first_sentence", "layer_second_sentence",
                    "jsd_mean_nats", "n_sentence_pairs",
                ], rows: rows)
        ]
    }

    func s2(_ r: S2Result, task: String) throws -> [String] {
        var rows: [[String]] = []
        for scheme in r.curves.keys.sorted() {
            let y = r.curves[scheme]!
            let est = s2Estimates(r, scheme: scheme, seed: seed)
            let ph = scheme == "static" ? r.staticPerHead : r.perHead[scheme]
            for k in y.indices {
                let e = est?[k]
                rows.append([
                    "\(k + 1)", "\(k)", scheme, num(y[k]), e.map { num($0.se) } ?? "",
                    ph.map { num(quantile($0[k], 0.25)) } ?? "", ph.map { num(quantile($0[k], 0.75)) } ?? "",
                    "\(r.samples)",
                ])
            }
        }
        return [
            try writeCSV(
                dir, "s2_\(task).csv",
                header: [
                    "layer_n", "front_layer", "scheme", "jsd_mean_nats", "jsd_se_bootstrap",
                    "heads_q25", "heads_q75", "n_samples",
                ], rows: rows)
        ]
    }

    func cosine(_ r: CosineResult, task: String) throws -> [String] {
        var rows: [[String]] = []
        for name in submoduleNames {
            guard let y = r.curves[name] else { continue }
            for k in y.indices {
                rows.append(["\(k + 1)", "\(k)", name, num(y[k]), r.se?[name].map { num($0[k]) } ?? "", "\(r.samples)"])
            }
        }
        return [
            try writeCSV(
                dir, "cosine_\(task).csv",
                header: [
                    "layer_n", "front_layer", "submodule", "cosine_mean", "cosine_se",
                    "n_samples",
                ], rows: rows)
        ]
    }

    func distributions(_ r: DistributionsResult, task: String) throws -> [String] {
        var rows: [[String]] = []
        for p in r.pairs {
            for k in p.pa.indices {
                rows.append([num(p.target), "\(p.a)", "\(p.b)", num(p.jsd), "\(k)", num(p.pa[k]), num(p.pb[k])])
            }
        }
        return [
            try writeCSV(
                dir, "distributions_\(task).csv",
                header: [
                    "target_jsd", "layer_a", "layer_b", "jsd_nats", "key",
                    "p_layer_a", "p_layer_b",
                ], rows: rows)
        ]
    }

    func topK(_ r: TopKResult, name: String) throws -> [String] {
        var rows: [[String]] = []
        for (l, e) in r.layers.enumerated() {
            for (i, t) in e.enumerated() {
                rows.append(["\(l)", "\(i + 1)", num(t.weight), "\(t.index)", csvText(t.piece)])
            }
        }
        return [
            try writeCSV(
                dir, "topk_\(name).csv", header: ["layer", "rank", "weight", "key_index", "piece"], rows: rows)
        ]
    }
}
