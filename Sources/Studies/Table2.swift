import Analysis
import Basics
import Evaluation
import Foundation
import Store

// Table 2 (FIGURES.md Table 2, C8, C9; issue 17 item 1, issue 18 item 5) from stored evaluation runs: per
// benchmark the original model and each method (a sharing config: DS; a checkpoint: LiSA, DS_LoRA, …) on the same
// seeded documents, each score with its standard error, the score as a share of the original's (paired ratio,
// delta method), the paper's average preserved over the scored benchmarks (LAMBADA apart, as perplexity), and
// each method against a reference method by paired per-document differences.

/// A row of Table 2: how its evaluation runs are found in the database.
public struct Table2Method: Sendable, Equatable {
    public var label: String
    /// The sharing config's JSON (`lisa eval --sharing`), nil for none.
    public var sharing: String?
    /// The checkpoint's SHA-256 (`lisa eval --lisa`), nil for none.
    public var checkpointSHA256: String?
    public var nf: Bool
    /// Table 2's parameter columns (`parameterColumns`), when known.
    public var parameters: ParameterShares?
    /// The checkpoint's training method and FFN kind as its header records them ("lisa"/"ds-lora", "dl"/"sl"/…).
    public var trainedMethod: String?
    public var trainedFFN: String?
    public init(
        label: String, sharing: String? = nil, checkpointSHA256: String? = nil, nf: Bool = false,
        parameters: ParameterShares? = nil, trainedMethod: String? = nil, trainedFFN: String? = nil
    ) {
        self.label = label; self.sharing = sharing; self.checkpointSHA256 = checkpointSHA256; self.nf = nf
        self.parameters = parameters; self.trainedMethod = trainedMethod; self.trainedFFN = trainedFFN
    }
    /// The original model: no sharing, no checkpoint, every layer standard.
    public static let original = Table2Method(label: "original")
}

/// Trained and saved parameters as % of the model (Table 2's parameter columns).
public struct ParameterShares: Sendable, Equatable {
    public var trained: Double, saved: Double
    public init(trained: Double, saved: Double) { self.trained = trained; self.saved = saved }
}

/// One method on one benchmark.
public struct Table2Cell: Sendable {
    public var metric: String
    public var n: Int
    /// The primary metric (fraction) or, for LAMBADA, the perplexity (s.e. NaN: reported without one).
    public var score: Estimate
    /// score / original score on the same documents (paired, delta method); nil for the original and LAMBADA.
    public var preserved: Estimate?
    /// method − reference method, paired per document (primary metric; LAMBADA: log-likelihood in nats).
    public var vsReference: Estimate?
    /// Seconds the run took (as stored).
    public var seconds: Double
    /// LAMBADA only: the accuracy (greedy target match), reported apart from the perplexity (C8).
    public var accuracy: Estimate? = nil
    /// BoolQ only: the share of the documents in the majority class ("always yes", C8), beside the score.
    public var majorityRate: Double? = nil
    /// method − original, paired per document (primary metric); nil for the original and LAMBADA. The decline
    /// verdict tests this difference: the ratio's delta-method s.e. degenerates to 0 when a method scores 0
    /// everywhere (NQ under DS), the difference's does not.
    public var vsOriginal: Estimate? = nil
    /// The primary metric per document index (not for LAMBADA): what paired comparisons of two methods read.
    public var documents: [Int: Double] = [:]
}

/// Table 2 assembled from the database.
public struct Table2: Sendable {
    public var tasks: [String]
    public var methods: [Table2Method]
    public var referenceLabel: String?
    /// cells[task][method label]; a method without a run on a task has no cell.
    public var cells: [String: [String: Table2Cell]]
    /// Columns are (task, shots) pairs named "TASK K-shot" (Table 6). Columns of one task then score the same
    /// documents, so no average over columns is formed (its s.e. assumes disjoint documents), and Table 2's
    /// verdicts, which are about its own benchmarks, are not drawn.
    public var shotColumns = false
    /// Per method: 100 × mean of score/base over the scored benchmarks it has (LAMBADA apart), with its s.e. and
    /// the tasks.
    public var averages: [String: (Estimate, [String])] {
        var out: [String: (Estimate, [String])] = [:]
        guard !shotColumns else { return out }
        for m in methods where m.label != "original" {
            let scored = tasks.filter { $0 != "lambada" && cells[$0]?[m.label]?.preserved?.value.isFinite == true }
            guard !scored.isEmpty else { continue }
            out[m.label] = (averagePreserved(scored.map { cells[$0]![m.label]!.preserved! }), scored)
        }
        return out
    }

    /// `a` − `b` in points of average preserved over the scored benchmarks both have, paired per document: on each
    /// benchmark (mean a − mean b) / mean original over the documents all three scored (`pairedRatio` of the
    /// per-document differences, covariance kept), then averaged as the preserved shares are. Nil without a
    /// shared benchmark.
    public func preservedDifference(_ a: String, _ b: String) -> (Estimate, [String])? {
        guard !shotColumns else { return nil }
        var parts: [Estimate] = [], used: [String] = []
        for t in tasks where t != "lambada" {
            guard let ca = cells[t]?[a], let cb = cells[t]?[b], let co = cells[t]?["original"] else { continue }
            let keys = Set(ca.documents.keys).intersection(cb.documents.keys).intersection(co.documents.keys).sorted()
            let r = pairedRatio(keys.map { ca.documents[$0]! - cb.documents[$0]! }, keys.map { co.documents[$0]! })
            guard r.value.isFinite else { continue }
            parts.append(r); used.append(t)
        }
        return parts.isEmpty ? nil : (averagePreserved(parts), used)
    }
}

extension Table2 {
    /// A column of a table with shot counts in its names (Table 6): "boolq 5-shot".
    public static func columnName(task: String, shots: Int) -> String { "\(task) \(shots)-shot" }
    /// The task a column scores: its name up to the first space ("boolq 5-shot" → "boolq").
    public static func task(ofColumn name: String) -> String { String(name.prefix { $0 != " " }) }
}

/// 100 × the mean of per-benchmark shares, with the s.e. of a mean of independent estimates (benchmarks are
/// disjoint document sets).
func averagePreserved(_ p: [Estimate]) -> Estimate {
    Estimate(
        value: 100 * p.map(\.value).reduce(0, +) / Double(p.count),
        se: 100 * p.map { $0.se * $0.se }.reduce(0, +).squareRoot() / Double(p.count), n: p.count)
}

/// The paper's column order (Table 2), then any other task alphabetically.
let table2Order = [
    "piqa", "boolq", "winogrande", "arc_easy", "arc_challenge", "hellaswag", "openbookqa", "mmlu", "triviaqa",
    "nq_open", "coqa", "gsm8k", "lambada",
]

/// score/base of paired per-document values as a ratio of means, with the delta-method s.e. (covariance kept:
/// both sides scored the same documents).
public func pairedRatio(_ s: [Double], _ b: [Double]) -> Estimate {
    precondition(s.count == b.count)
    let n = Double(s.count)
    guard s.count > 1 else { return Estimate(value: .nan, se: .nan, n: s.count) }
    let ms = mean(s), mb = mean(b)
    guard mb != 0 else { return Estimate(value: .nan, se: .nan, n: s.count) }
    var vs = 0.0, vb = 0.0, cov = 0.0
    for (x, y) in zip(s, b) { vs += (x - ms) * (x - ms); vb += (y - mb) * (y - mb); cov += (x - ms) * (y - mb) }
    vs /= n - 1; vb /= n - 1; cov /= n - 1
    let r = ms / mb
    let v = (vs - 2 * r * cov + r * r * vb) / (mb * mb * n)
    return Estimate(value: r, se: max(v, 0).squareRoot(), n: s.count)
}

extension StoredInputs {
    /// Table 2 from the newest finished run of each method per task, on the same task, shots, seed, --limit and
    /// model as that task's newest finished original run. `reference`: the label the paired column compares with.
    /// `labelShots`: one column per (task, shots) present, named "TASK K-shot" (Table 6: the same benchmarks at
    /// several shot counts); otherwise one column per task, at the shots of its newest original run.
    public func table2(
        methods: [Table2Method], reference: String?, modelSHA256: String?, labelShots: Bool = false
    ) throws -> Table2 {
        let runs = try store.evalRuns().filter { $0.status == .finished }
        var modelIds: Set<Int64>?
        if let sha = modelSHA256 {
            modelIds = Set(try runs.map(\.modelId).filter { try store.model(id: $0)?.sha256 == sha })
        }
        let mine = runs.filter { modelIds?.contains($0.modelId) ?? true }
        func isNF(_ r: EvalRunRecord) -> Bool { r.parameters.contains("\"nf\":true") }
        func matches(_ r: EvalRunRecord, _ m: Table2Method) -> Bool {
            r.sharing == m.sharing && r.checkpointSHA256 == m.checkpointSHA256 && isNF(r) == m.nf
                && (m.sharing != nil || m.checkpointSHA256 != nil || r.policies == "{}")
        }
        let all = [Table2Method.original] + methods.filter { $0.label != "original" }
        var cells: [String: [String: Table2Cell]] = [:]
        var tasks: [String] = []
        struct Column: Hashable { var task: String; var shots: Int? }
        // the benchmarks some method ran (with no method: those the original ran)
        let shown = all.count > 1 ? Array(all.dropFirst()) : all
        let present = Set(
            mine.filter { r in shown.contains { matches(r, $0) } }.map {
                Column(task: $0.task, shots: labelShots ? $0.shots : nil)
            })
        for column in present.sorted(by: {
            (table2Order.firstIndex(of: $0.task) ?? 99, $0.task, $0.shots ?? 0)
                < (table2Order.firstIndex(of: $1.task) ?? 99, $1.task, $1.shots ?? 0)
        }) {
            let task = column.task
            let name = column.shots.map { Table2.columnName(task: task, shots: $0) } ?? task
            guard
                let base = mine.last(where: {
                    $0.task == task && (column.shots == nil || $0.shots == column.shots) && matches($0, .original)
                })
            else {
                throw StoredInputError.noEvalRuns(
                    what: "for \(name) with the original model (no sharing, no checkpoint, all layers standard)",
                    db: store.path)
            }
            let same = mine.filter {
                $0.task == task && $0.shots == base.shots && $0.seed == base.seed && $0.docLimit == base.docLimit
                    && $0.modelId == base.modelId
            }
            let lambada = task == "lambada"
            let metric = lambada ? "log_likelihood" : (primaryMetric(task: task) ?? base.primaryMetric)
            // each run's documents are read once; the primary metric per document drives the table
            func documents(_ r: EvalRunRecord) throws -> [Int: DocumentResult] {
                var out: [Int: DocumentResult] = [:]
                for rec in try store.evalDocuments(runId: r.id!) { out[rec.docIndex] = try documentResult(rec) }
                return out
            }
            let baseAll = try documents(base)
            let baseDocs = baseAll.compactMapValues { $0.scores[metric] }
            let majority: Double? = task == "boolq" ? majorityClassRate(baseAll.values.compactMap(\.gold)) : nil
            var row: [String: (EvalRunRecord, [Int: DocumentResult])] = ["original": (base, baseAll)]
            for m in all.dropFirst() {
                if let r = same.last(where: { matches($0, m) }) { row[m.label] = (r, try documents(r)) }
            }
            let ref = reference.flatMap { row[$0] }?.1.compactMapValues { $0.scores[metric] }
            tasks.append(name)
            for m in all {
                guard let (r, allDocs) = row[m.label] else { continue }
                let docs = allDocs.compactMapValues { $0.scores[metric] }
                let keys = Set(docs.keys).intersection(baseDocs.keys).sorted()
                let v = keys.map { docs[$0]! }, b = keys.map { baseDocs[$0]! }
                let score: Estimate
                if lambada {
                    let ppl =
                        try CanonicalJSON.decoder().decode([String: Double].self, from: Data(r.metrics.utf8))[
                            "perplexity"] ?? .nan
                    score = Estimate(value: ppl, se: .nan, n: docs.count)
                } else {
                    score = meanEstimate(docs.keys.sorted().map { docs[$0]! })
                }
                let preserved = m.label == "original" || lambada ? nil : pairedRatio(v, b)
                let vsOriginal = m.label == "original" || lambada ? nil : pairedDifference(docs, baseDocs)
                let vsRef = ref.flatMap { rr -> Estimate? in
                    m.label == reference
                        ? nil : (reference == "original" && !lambada ? vsOriginal : pairedDifference(docs, rr))
                }
                let accuracy = lambada ? allDocs.compactMapValues { $0.scores["acc"] } : [:]
                cells[name, default: [:]][m.label] = Table2Cell(
                    metric: lambada ? "perplexity" : metric, n: docs.count, score: score, preserved: preserved,
                    vsReference: vsRef, seconds: r.seconds,
                    accuracy: accuracy.isEmpty ? nil : meanEstimate(accuracy.keys.sorted().map { accuracy[$0]! }),
                    majorityRate: majority, vsOriginal: vsOriginal, documents: lambada ? [:] : docs)
            }
        }
        return Table2(tasks: tasks, methods: all, referenceLabel: reference, cells: cells, shotColumns: labelShots)
    }
}

extension Table2 {
    /// The table as markdown: methods × benchmarks (score ± s.e. in %, preserved % below), the average preserved
    /// ± s.e. and LAMBADA's perplexity; then each method against the reference, paired.
    public func markdown() -> String {
        let scored = tasks.filter { $0 != "lambada" }
        let withParameters = methods.contains { $0.parameters != nil }
        var head = "| method |" + (withParameters ? " trained % | saved % |" : "")
        var rule = "|---|" + (withParameters ? "---:|---:|" : "")
        for t in scored { head += " \(t) \(cells[t]?.values.first?.metric ?? "") |"; rule += "---:|" }
        let averages = self.averages
        if !shotColumns { head += " avg preserved % |"; rule += "---:|" }
        if tasks.contains("lambada") { head += " LAMBADA ppl | LAMBADA acc |"; rule += "---:|---:|" }
        var lines = [head, rule]
        for m in methods {
            var line = "| \(m.label) |"
            if withParameters {
                line += m.parameters.map { String(format: " %.2f | %.2f |", $0.trained, $0.saved) } ?? " — | — |"
            }
            for t in scored {
                guard let c = cells[t]?[m.label] else { line += " — |"; continue }
                line += String(format: " %.2f ± %.2f", 100 * c.score.value, 100 * c.score.se)
                if let p = c.preserved { line += String(format: " (%.1f %%)", 100 * p.value) }
                line += " |"
            }
            if shotColumns {
            } else if m.label == "original" {
                line += " 100 |"
            } else if let (a, ts) = averages[m.label] {
                line +=
                    String(format: " %.1f ± %.1f", a.value, a.se)
                    + (ts.count < scored.count ? " (\(ts.count) tasks)" : "") + " |"
            } else {
                line += " — |"
            }
            if tasks.contains("lambada") {
                line += cells["lambada"]?[m.label].map { String(format: " %.2f |", $0.score.value) } ?? " — |"
                line +=
                    cells["lambada"]?[m.label]?.accuracy.map {
                        String(format: " %.2f ± %.2f |", 100 * $0.value, 100 * $0.se)
                    } ?? " — |"
            }
            lines.append(line)
        }
        let ns = tasks.map { t in "\(t) \(cells[t]?["original"]?.n ?? 0)" }.joined(separator: ", ")
        lines.append("")
        lines.append(
            "Documents per benchmark (the same for every method): \(ns). Scores in % ± one standard error "
                + "(lm-eval's mean_stderr); (x %) = score / original score on the same documents."
                + (shotColumns
                    ? " Each column is a benchmark at one number of exemplars (seeded per document from the task's "
                        + "pool, the same for every method); few-shot columns of one benchmark score the same "
                        + "documents (those after the pool), so no average over columns is formed."
                    : " Avg preserved = 100 × mean of those ratios over the scored benchmarks (LAMBADA apart), ± the "
                        + "s.e. from each ratio's paired delta-method s.e. (tasks independent).")
                + (tasks.contains("lambada")
                    ? " LAMBADA (outside the average): perplexity = exp(−mean log-likelihood of the target per "
                        + "document), as lm-eval, and accuracy = the target is the greedy continuation." : "")
                + tasks.filter { Table2.task(ofColumn: $0) == "boolq" }.compactMap { t in
                    cells[t]?["original"]?.majorityRate.map {
                        String(
                            format: " %@: the majority class (\"always yes\") is %.2f %% of these documents.",
                            t == "boolq" ? "BoolQ" : t, 100 * $0)
                    }
                }.joined())
        let timed = tasks.compactMap { t -> String? in
            let parts = methods.compactMap { m in
                cells[t]?[m.label].map { "\(m.label) \(ProgressReporter.duration($0.seconds))" }
            }
            return parts.isEmpty ? nil : "\(t): " + parts.joined(separator: ", ")
        }
        if !timed.isEmpty {
            lines += ["", "Scoring wall time per run (as stored): " + timed.joined(separator: "; ") + "."]
        }
        if let ref = referenceLabel, methods.contains(where: { $0.label != ref }) {
            lines += ["", "Paired against \(ref) (same documents; LAMBADA: log-likelihood of the target, nats):", ""]
            lines += [
                "| method | task | metric | n | method − \(ref) | z | beyond 2 s.e. |",
                "|---|---|---|---:|---:|---:|---|",
            ]
            func row(_ label: String, _ task: String, _ metric: String, _ n: String, _ d: Estimate, _ scale: Double)
                -> String
            {
                let z = d.se > 0 ? d.value / d.se : .nan
                return String(
                    format: "| %@ | %@ | %@ | %@ | %+.2f ± %.2f | %@ | %@ |", label, task, metric, n, scale * d.value,
                    scale * d.se, z.isFinite ? String(format: "%+.2f", z) : "—",
                    z.isFinite ? (abs(z) > 2 ? "yes" : "no (inside the noise)") : "—")
            }
            for m in methods where m.label != ref {
                for t in tasks {
                    guard let c = cells[t]?[m.label], let d = c.vsReference else { continue }
                    lines.append(
                        row(m.label, t, t == "lambada" ? "log-lik" : c.metric, "\(d.n)", d, t == "lambada" ? 1 : 100))
                }
                // the average preserved, paired per document too (points; `preservedDifference`)
                if let (d, used) = preservedDifference(m.label, ref) {
                    lines.append(row(m.label, "avg preserved", "points", "\(used.count) benchmarks", d, 1))
                }
            }
        }
        let verdicts = shotColumns ? "" : verdictMarkdown()
        if !verdicts.isEmpty {
            lines += [
                "", "## Verdicts", "", verdicts,
                "Rules: studies/VERDICTS.md (a difference within 2 s.e. is inside the noise and counts as partly); "
                    + "\"below beyond 2 s.e.\": the paired per-document difference from the original is below 0 by "
                    + "more than 2 s.e. (the paired ratio where no difference is stored).",
            ]
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Tidy CSV: one line per (method, task); accuracy only for LAMBADA, majority_rate only for BoolQ.
    public func csv() -> String {
        var lines = [
            "method,task,metric,n,score,score_se,preserved,preserved_se,vs_reference,vs_reference_se,seconds,"
                + "accuracy,accuracy_se,majority_rate"
        ]
        func f(_ x: Double?) -> String { x.map { $0.isFinite ? String(format: "%.10g", $0) : "" } ?? "" }
        for m in methods {
            for t in tasks {
                guard let c = cells[t]?[m.label] else { continue }
                let label =
                    m.label.contains(",") || m.label.contains("\"")
                    ? "\"" + m.label.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : m.label
                lines.append(
                    [
                        label, t, c.metric, "\(c.n)", f(c.score.value), f(c.score.se), f(c.preserved?.value),
                        f(c.preserved?.se), f(c.vsReference?.value), f(c.vsReference?.se), f(c.seconds),
                        f(c.accuracy?.value), f(c.accuracy?.se), f(c.majorityRate),
                    ].joined(separator: ","))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
