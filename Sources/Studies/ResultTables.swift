import Evaluation
import Foundation
import Store

/// The typed analysis results of a study run as tidy tables (`lisa export --csv`): S1/S2 matrices and curves,
/// cosines, top-k keys, distribution pairs and sensitivity sweeps, one observation per row. Pair p is the layers
/// (p, p + 1), 0-based; sensitivity pair labels are 1-based as the paper prints them (FIGURES.md C1).
enum ResultTables {
    static func tables(
        _ results: [ResultRecord], sweeps: [String: SensitivityResult], runId: Int64
    ) throws -> [ExportTable] {
        let id = "\(runId)"
        func n(_ x: Double) -> String { RunExport.num(x) }
        var s1 = ExportTable(
            "s1", "S1: JS divergence between the head-averaged last-token rows of two layers, mean over samples.",
            columns: [
                ("run_id", "study run"), ("task", "task"), ("variant", "s1, or s1_excl_first (key 0 dropped)"),
                ("layer_a", "0-based layer"), ("layer_b", "0-based layer"), ("jsd", "nats"),
                ("samples", "samples averaged"),
            ])
        var two = ExportTable(
            "two_sentence",
            "Fig 4a baseline: JSD between layer a of one sample and layer b of another of the same length.",
            columns: [
                ("run_id", "study run"), ("task", "task"), ("layer_a", "0-based layer (first sample)"),
                ("layer_b", "0-based layer (second sample)"), ("jsd", "nats"), ("pairs", "sample pairs averaged"),
            ])
        var s2 = ExportTable(
            "s2", "S2 per adjacent pair and alignment: mean over samples and heads of the aligned heads' JSD.",
            columns: [
                ("run_id", "study run"), ("task", "task"),
                ("alignment", "position, randomExpectation, randomSingleDraw, similarity, hungarian, static"),
                ("layer_a", "0-based front layer n−1"), ("layer_b", "0-based layer n"), ("jsd", "nats"),
                ("samples", "samples averaged"),
            ])
        var s2h = ExportTable(
            "s2_heads", "S2 per head of layer n: JSD to its aligned head of layer n−1, mean over samples.",
            columns: [
                ("run_id", "study run"), ("task", "task"), ("alignment", "as in s2.csv"),
                ("layer_a", "0-based layer n−1"), ("layer_b", "0-based layer n"),
                ("head", "0-based query head of layer n"), ("jsd", "nats"),
            ])
        var map = ExportTable(
            "s2_static_map", "The fixed head map j*(i) of each pair (argmin of the sample-mean JSD; ours).",
            columns: [
                ("run_id", "study run"), ("task", "task"), ("layer_a", "0-based layer n−1"),
                ("layer_b", "0-based layer n"), ("head", "0-based query head i of layer n"),
                ("matched_head", "0-based head j*(i) of layer n−1"),
            ])
        var cos = ExportTable(
            "cosine", "Fig 5a: cosine of a sub-module's output between adjacent layers, mean over samples.",
            columns: [
                ("run_id", "study run"), ("task", "task"), ("sample_id", "samples.id, or 0 for the mean"),
                ("submodule", "Q, K, V, A (scores), P (probabilities), C (context), O (output)"),
                ("layer_a", "0-based layer n−1"), ("layer_b", "0-based layer n"), ("cosine", "uncentred cosine"),
            ])
        var top = ExportTable(
            "top_k", "Table 11: the five most attended keys of the head-averaged last-token row per layer.",
            columns: [
                ("run_id", "study run"), ("task", "task (story: the generation prompt)"),
                ("step", "generation step (empty: the prompt's last token)"),
                ("record_index", "data record (empty for story)"),
                ("layer", "0-based layer"), ("rank", "1 … 5"), ("key_index", "0-based key position (BOS is 0)"),
                ("weight", "attention probability"), ("piece", "the key's token text"),
            ])
        var dist = ExportTable(
            "distributions", "Fig 12: the layer pair whose S1 JSD is nearest each target, for one record.",
            columns: [
                ("run_id", "study run"), ("task", "task"), ("record_index", "data record"),
                ("target_jsd", "nats"), ("layer_a", "0-based layer"), ("layer_b", "0-based layer"),
                ("jsd", "the pair's JSD, nats"),
            ])
        var probs = ExportTable(
            "distribution_probs", "Fig 12: the two head-averaged rows of each chosen pair, key by key.",
            columns: [
                ("run_id", "study run"), ("task", "task"), ("target_jsd", "nats"), ("key_index", "0-based key"),
                ("p_a", "probability in layer_a"), ("p_b", "probability in layer_b"),
            ])
        var sens = ExportTable(
            "sensitivity", "Figs 6/9/13: the task's score with DS or uniform attention on one layer pair.",
            columns: [
                ("run_id", "study run"), ("task", "task"), ("metric", "metric compared"), ("shots", "few-shot"),
                ("n", "documents per configuration"), ("seed", "document sample seed"),
                ("pair", "1-based pair label, or baseline"), ("layer_a", "0-based"), ("layer_b", "0-based"),
                ("policy", "baseline, ds or uniform"), ("score", "metric value"), ("stderr", "mean_stderr"),
                ("baseline", "all-standard score on the same documents"),
            ])
        func matrix(_ m: [[Double]], _ row: (Int, Int, Double) -> [String]) -> [[String]] {
            m.indices.flatMap { a in m[a].indices.map { b in row(a, b, m[a][b]) } }
        }
        for r in results {
            let t = r.task
            switch r.resultKind {
            case .s1?, .s1ExclFirst?:
                let v = try ResultJSON.decode(S1Result.self, r.value)
                s1.rows += matrix(v.matrix) { [id, t, r.kind, "\($0)", "\($1)", n($2), "\(v.samples)"] }
            case .twoSentence?:
                let v = try ResultJSON.decode(TwoSentenceResult.self, r.value)
                two.rows += matrix(v.matrix) { [id, t, "\($0)", "\($1)", n($2), "\(v.pairs)"] }
            case .s2?:
                let v = try ResultJSON.decode(S2Result.self, r.value)
                for a in v.curves.keys.sorted() {
                    for (p, x) in v.curves[a]!.enumerated() {
                        s2.rows.append([id, t, a, "\(p)", "\(p + 1)", n(x), "\(v.samples)"])
                    }
                }
                var heads = v.perHead
                heads["static"] = v.staticPerHead
                for a in heads.keys.sorted() {
                    for (p, hs) in heads[a]!.enumerated() {
                        for (h, x) in hs.enumerated() { s2h.rows.append([id, t, a, "\(p)", "\(p + 1)", "\(h)", n(x)]) }
                    }
                }
                for (p, js) in v.staticMap.enumerated() {
                    for (i, j) in js.enumerated() { map.rows.append([id, t, "\(p)", "\(p + 1)", "\(i)", "\(j)"]) }
                }
            case .cosine?:
                let curves =
                    r.sampleId == 0
                    ? try ResultJSON.decode(CosineResult.self, r.value).curves
                    : try ResultJSON.decode([String: [Double]].self, r.value)
                for s in curves.keys.sorted() {
                    for (p, x) in curves[s]!.enumerated() {
                        cos.rows.append([id, t, "\(r.sampleId)", s, "\(p)", "\(p + 1)", n(x)])
                    }
                }
            case .topK?:
                top.rows += topRows(try ResultJSON.decode(TopKResult.self, r.value), id: id, task: t, step: "")
            case .topKStep?:
                let g = try ResultJSON.decode(GenerationTopKResult.self, r.value)
                top.rows += topRows(g.topK, id: id, task: t, step: "\(g.step)", record: "")
            case .distributions?:
                let v = try ResultJSON.decode(DistributionsResult.self, r.value)
                for p in v.pairs {
                    dist.rows.append([id, t, "\(v.recordIndex)", n(p.target), "\(p.a)", "\(p.b)", n(p.jsd)])
                    for k in p.pa.indices where k < p.pb.count {
                        probs.rows.append([id, t, n(p.target), "\(k)", n(p.pa[k]), n(p.pb[k])])
                    }
                }
            default:
                continue  // sweeps below; run-wide facts (_model, _machine) stay in results.csv
            }
        }
        for task in sweeps.keys.sorted() {
            let v = sweeps[task]!
            let head = [id, v.task, v.metric, "\(v.shots)", "\(v.n)", "\(v.seed)"]
            sens.rows.append(
                head + ["baseline", "", "", "baseline", n(v.baseline), n(v.baselineStandardError), n(v.baseline)])
            for p in v.pairs {
                let pair = [p.pair.label, "\(p.pair.first)", "\(p.pair.second)"]
                sens.rows.append(head + pair + ["ds", n(p.ds), n(p.dsStandardError), n(v.baseline)])
                if !p.uniform.isNaN {
                    sens.rows.append(head + pair + ["uniform", n(p.uniform), n(p.uniformStandardError), n(v.baseline)])
                }
            }
        }
        return [s1, two, s2, s2h, map, cos, top, dist, probs, sens].filter { !$0.rows.isEmpty }
    }

    static func topRows(_ r: TopKResult, id: String, task: String, step: String, record: String? = nil) -> [[String]] {
        r.layers.enumerated().flatMap { layer, entries in
            entries.enumerated().map { rank, e in
                [
                    id, task, step, record ?? "\(r.recordIndex)", "\(layer)", "\(rank + 1)", "\(e.index)",
                    RunExport.num(e.weight), e.piece,
                ]
            }
        }
    }
}

/// `lisa export`: a study run as tidy CSV tables with a README of their columns, or as one JSON file.
public enum StudyExport {
    @discardableResult
    public static func write(store: LisaStore, runId: Int64, format: RunExport.Format, to dir: URL) throws -> [URL] {
        guard format == .csv else { return try RunExport.write(store: store, runId: runId, format: format, to: dir) }
        let run = try store.run(id: runId)
        let tables =
            try RunExport.storeTables(store: store, runId: runId)
            + ResultTables.tables(
                store.results(runId: runId), sweeps: storedSweeps(store: store, runId: runId), runId: runId)
        return try RunExport.writeCSV(
            tables, title: "Study \(run.study), run \(runId) (seed \(run.seed), \(run.toolVersion))", to: dir)
    }

    /// A plain `lisa eval --db` run (or one unit of a sensitivity study) as CSV.
    @discardableResult
    public static func writeEval(store: LisaStore, evalRunId: Int64, to dir: URL) throws -> [URL] {
        let run = try store.evalRun(id: evalRunId)
        return try RunExport.writeCSV(
            RunExport.evalTables(store: store, runs: [run]),
            title: "Evaluation run \(evalRunId) (\(run.task), \(run.shots)-shot, seed \(run.seed))", to: dir)
    }
}
