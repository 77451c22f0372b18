import Analysis
import Evaluation
import Foundation
import LiSA
import Models
import Store
@testable import Studies
import TestSupport
import Testing

/// `lisa table2`: Table 2 from stored evaluation runs (issue 17 item 1, issue 18 item 5).
@Suite(.serialized) struct Table2Tests {
    /// Runs scripts/table2 from the repository root with `env` added (and LISA set to the built binary), its
    /// output discarded; the exit status.
    static func table2Script(_ arguments: [String], env: [String: String]) throws -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = [TestPaths.repoRoot.appendingPathComponent("scripts/table2").path] + arguments
        p.currentDirectoryURL = TestPaths.repoRoot
        p.environment = ProcessInfo.processInfo.environment.merging(
            env.merging(["LISA": try LisaBinary.executable().path]) { mine, _ in mine }) { $1 }
        p.standardOutput = FileHandle.nullDevice
        try p.run(); p.waitUntilExit()
        return p.terminationStatus
    }

    /// The ratio of paired means with its delta-method s.e., by hand: s = [1,0,1,1], b = [1,1,0,1]: both means
    /// 0.75, r = 1; sample variances 0.25 each, covariance −0.25/3; Var(r) = (0.25 + 2·0.25/3 + 0.25)/(0.75²·4)
    /// = 0.2963, s.e. 0.5443.
    @Test func pairedRatioByHand() {
        let e = pairedRatio([1, 0, 1, 1], [1, 1, 0, 1])
        #expect(e.value == 1 && abs(e.se - 0.544331) < 1e-5 && e.n == 4)
        // identical sides: ratio 1 with no spread
        let same = pairedRatio([1, 0, 1, 0, 1], [1, 0, 1, 0, 1])
        #expect(same.value == 1 && abs(same.se) < 1e-12)
        #expect(pairedRatio([1, 1], [0, 0]).value.isNaN)
    }

    /// §5.4's DS claims on hand-made rows: DS at 80 ± 3.4 % over two benchmarks, one below 1 beyond 2 s.e., the
    /// other inside the noise → the decline "yes" (half the benchmarks), its size "no" (33.3 points milder).
    @Test func dsVerdictsByHand() {
        func cell(_ p: Double, _ se: Double) -> Table2Cell {
            Table2Cell(
                metric: "acc", n: 100, score: Estimate(value: 0.5, se: 0.05, n: 100),
                preserved: Estimate(value: p, se: se, n: 100), vsReference: nil, seconds: 1)
        }
        let ds = Table2Method(label: "ds", sharing: "{}")
        var t = Table2(
            tasks: ["piqa", "boolq"], methods: [.original, ds], referenceLabel: nil,
            cells: ["piqa": ["ds": cell(0.7, 0.03)], "boolq": ["ds": cell(0.9, 0.06)]])
        // the average is derived from the cells: 80 ± 100 · √(0.03² + 0.06²) / 2 = 3.354
        #expect(abs(t.averages["ds"]!.0.value - 80) < 1e-9 && abs(t.averages["ds"]!.0.se - 3.3541) < 1e-4)
        let rows = t.verdictRows()
        #expect(rows.count == 2)
        #expect(rows[0].agrees == .yes && rows[0].measurement.contains("on 1 of 2 (piqa)"), "\(rows[0])")
        #expect(rows[1].agrees == .no && rows[1].why.contains("a milder loss than the paper's by 33.3 points"))
        // an average within 2 s.e. of 100 % is inside the noise: partly
        t.cells["piqa"]!["ds"] = cell(0.96, 0.03); t.cells["boolq"]!["ds"] = cell(0.98, 0.03)  // 97 ± 2.1
        #expect(t.verdictRows()[0].agrees == .partly && t.verdictRows()[0].why.contains("within 2 s.e. of 100"))
        t.cells["piqa"]!["ds"] = cell(0.7, 0.03); t.cells["boolq"]!["ds"] = cell(0.9, 0.06)
        // a method at 0 on every document: the ratio's delta-method s.e. is 0, the paired difference's is not;
        // the decline counts by the difference (−3.6 ± 0.6 points: beyond 2 s.e.), and inside the noise it does not
        var zero = cell(0, 0)
        zero.vsOriginal = Estimate(value: -0.036, se: 0.006, n: 100)
        t.cells["nq_open"] = ["ds": zero]
        t.tasks.append("nq_open")
        #expect(t.verdictRows()[0].measurement.contains("on 2 of 3 (piqa, nq_open)"), "\(t.verdictRows()[0])")
        t.cells["nq_open"]!["ds"]!.vsOriginal = Estimate(value: -0.01, se: 0.006, n: 100)
        #expect(t.verdictRows()[0].measurement.contains("on 1 of 3 (piqa)"), "\(t.verdictRows()[0])")
        t.tasks.removeLast()
        t.cells["nq_open"] = nil
        // BoolQ's majority-class rate is printed beside the table (C8), from the original's documents
        var base = cell(1, 0)
        base.majorityRate = 0.622
        t.cells["boolq"]!["original"] = base
        #expect(t.markdown().contains("BoolQ: the majority class (\"always yes\") is 62.20 % of these documents."))
        #expect(t.csv().contains("original,boolq,acc,100,0.5,0.05,1,0,,,1,,,0.622\n"), "\(t.csv())")
        // a checkpoint row (no sharing config) is not judged by the DS claims
        t.methods = [.original, Table2Method(label: "lisa", checkpointSHA256: "ab")]
        t.cells["piqa"]!["lisa"] = cell(0.95, 0.01)
        #expect(t.averages["lisa"] != nil)
        #expect(t.verdictRows().isEmpty && t.verdictMarkdown().isEmpty)
    }

    /// Table 9 as a view of Table 2's cells, by hand: loss = 100 × (1 − preserved) ± 100 × its s.e.; PIQA 0.75 ±
    /// 0.05 → 25.0 ± 5.0 (low, [15, 35] inside the band), BoolQ 0.5 ± 0.1 → 50.0 ± 10.0 (moderate, [30, 70]
    /// crosses: *), GSM8K 0 → 100 (high), NQ with an original at 0 → undefined, LAMBADA ppl 20 → 30 → 50.0 with
    /// no level, last; a trained row's loss beside. Against the paper's DS (17) (PIQA 14.97 low, BoolQ 6.67 low,
    /// GSM8K 96.64 high): 2 of 3 levels shared; ranks (1, 2, 3) vs (2, 1, 3): ρ = 1 − 6·2/(3·8) = 0.5.
    @Test func table9FromTable2CellsByHand() {
        func cell(_ score: Double, _ p: Double?, _ se: Double, metric: String = "acc") -> Table2Cell {
            Table2Cell(
                metric: metric, n: 100, score: Estimate(value: score, se: 0.05, n: 100),
                preserved: p.map { Estimate(value: $0, se: se, n: 100) }, vsReference: nil, seconds: 1)
        }
        let ds = Table2Method(label: "DS (10)", sharing: "{}"), lisa = Table2Method(label: "lisa", checkpointSHA256: "ab")
        let t = Table2(
            tasks: ["piqa", "boolq", "nq_open", "gsm8k", "lambada"], methods: [.original, ds, lisa],
            referenceLabel: "original",
            cells: [
                "piqa": ["original": cell(0.6, nil, 0), "DS (10)": cell(0.45, 0.75, 0.05), "lisa": cell(0.57, 0.95, 0.02)],
                "boolq": ["original": cell(0.6, nil, 0), "DS (10)": cell(0.3, 0.5, 0.1)],
                "nq_open": ["original": cell(0, nil, 0), "DS (10)": cell(0, .nan, .nan)],
                "gsm8k": ["original": cell(0.25, nil, 0), "DS (10)": cell(0, 0, 0)],
                "lambada": [
                    "original": Table2Cell(
                        metric: "perplexity", n: 100, score: Estimate(value: 20, se: .nan, n: 100), preserved: nil,
                        vsReference: nil, seconds: 1),
                    "DS (10)": Table2Cell(
                        metric: "perplexity", n: 100, score: Estimate(value: 30, se: .nan, n: 100), preserved: nil,
                        vsReference: nil, seconds: 1),
                ],
            ])
        let md = t.table9Markdown(dsLabel: "DS (10)", configLabel: "DS (10)").split(separator: "\n").map(String.init)
        #expect(md[0] == "| task | metric | n | original | DS (10) | DS (10) loss % | level | lisa | lisa loss % |")
        #expect(md[2] == "| piqa | acc | 100 | 60.00 ± 5.00 | 45.00 ± 5.00 | 25.0 ± 5.0 | low (green) | 57.00 ± 5.00 | 5.0 ± 2.0 |", "\(md[2])")
        #expect(md[3] == "| boolq | acc | 100 | 60.00 ± 5.00 | 30.00 ± 5.00 | 50.0 ± 10.0 | moderate (yellow) * | — | — |", "\(md[3])")
        #expect(md[4] == "| gsm8k | acc | 100 | 25.00 ± 5.00 | 0.00 ± 5.00 | 100.0 ± 0.0 | high (red) | — | — |", "\(md[4])")
        #expect(md[5] == "| nq_open | acc | 100 | 0.00 ± 5.00 | 0.00 ± 5.00 | undefined (base 0) | – | — | — |", "\(md[5])")
        #expect(md[6] == "| lambada | perplexity | 100 | 20.00 | 30.00 | 50.0 | – (reported apart) | — | — |", "\(md[6])")
        #expect(
            md.last
                == "Against LLaMA3-8B's DS (17) (paper Table 9): the same level on 2 of 3 benchmarks (differing: "
                + "boolq moderate 50.0 vs low 6.7); Spearman correlation of the losses 0.50 over those 3.")
        #expect(abs(spearman([1, 2, 2, 4], [1, 3, 2, 4]) - 0.9487) < 1e-4)  // average ranks for the tie
    }

    /// End to end on Gemma: PIQA and LAMBADA (6 documents each), the original model and DS under the committed
    /// 53 % config, stored with `lisa eval --db`; `lisa table2`'s CSV must equal the stored runs' numbers and the
    /// paired differences computed here from their documents.
    @Test(.needsGemma) func tableFromStoredRuns() throws {
        let dir = try TestPaths.tempDir("table2"); defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("t.sqlite").path
        let sharing = TestPaths.repoRoot.appendingPathComponent("reports/table1/ds-0.53.json").path
        for task in ["piqa", "lambada"] {
            for extra in [[], ["--sharing", sharing]] {
                let r = try LisaBinary.run(
                    ["eval", TestPaths.gemma, "--task", task, "--limit", "6", "--db", db] + extra)
                #expect(r.status == 0, "\(r.stderr)")
            }
        }
        let csvPath = dir.appendingPathComponent("t2.csv").path, md = dir.appendingPathComponent("t2.md").path
        let r = try LisaBinary.run([
            "table2", "--db", db, "--method", "ds=sharing:\(sharing)", "--reference", "original", "--csv", csvPath,
            "--out", md,
        ])
        #expect(r.status == 0, "\(r.stderr)")
        let rows = try String(contentsOfFile: csvPath, encoding: .utf8).split(separator: "\n").dropFirst().map {
            $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        }
        #expect(rows.map { "\($0[0]) \($0[1])" } == ["original piqa", "original lambada", "ds piqa", "ds lambada"])

        let store = try LisaStore(path: db)
        let runs = try store.evalRuns()
        func docs(_ task: String, shared: Bool, _ metric: String) throws -> [Int: Double] {
            let run = runs.first { $0.task == task && ($0.sharing != nil) == shared }!
            var out: [Int: Double] = [:]
            for d in try store.evalDocuments(runId: run.id!) { out[d.docIndex] = try documentResult(d).scores[metric] }
            return out
        }
        let base = try docs("piqa", shared: false, "acc_norm"), ds = try docs("piqa", shared: true, "acc_norm")
        #expect(base.count == 6 && ds.count == 6)
        let keys = base.keys.sorted()
        let diffs = keys.map { ds[$0]! - base[$0]! }
        let meanDiff = diffs.reduce(0, +) / 6
        let seDiff = (diffs.map { ($0 - meanDiff) * ($0 - meanDiff) }.reduce(0, +) / 5 / 6).squareRoot()
        let dsRow = rows[2]
        #expect(abs(Double(dsRow[4])! - keys.map { ds[$0]! }.reduce(0, +) / 6) < 1e-9)  // score
        #expect(abs(Double(dsRow[8])! - meanDiff) < 1e-9)  // ds − original
        #expect(abs((Double(dsRow[9]) ?? .nan) - seDiff) < 1e-6 * max(1, seDiff))
        // LAMBADA: the stored perplexities, and the paired log-likelihood difference
        let lb = try docs("lambada", shared: false, "log_likelihood"),
            ld = try docs("lambada", shared: true, "log_likelihood")
        let lambadaDiff = lb.keys.map { ld[$0]! - lb[$0]! }.reduce(0, +) / Double(lb.count)
        #expect(abs(Double(rows[3][8])! - lambadaDiff) < 1e-6 * max(1, abs(lambadaDiff)))
        let basePPL = exp(-lb.values.reduce(0, +) / Double(lb.count))
        #expect(abs(Double(rows[1][4])! - basePPL) < 1e-4 * basePPL)
        // LAMBADA's accuracy apart from its perplexity (C8): the mean of the stored per-document matches
        let lacc = try docs("lambada", shared: true, "acc")
        let accMean = lacc.values.reduce(0, +) / Double(lacc.count)
        #expect(lacc.count == 6 && abs(Double(rows[3][11])! - accMean) < 1e-12)
        #expect(rows[2][11].isEmpty && rows[2][13].isEmpty)  // PIQA: neither column
        let text = try String(contentsOfFile: md, encoding: .utf8)
        #expect(text.contains("LAMBADA acc |") && text.contains(String(format: " %.2f ± ", 100 * accMean)))
        #expect(text.contains("Scoring wall time per run (as stored): piqa: original "))
        #expect(text.contains("avg preserved") && text.contains("Paired against original"))

        // §5.4's DS claims judged on the rows: the decline and its size against the paper's 46.67 %
        #expect(text.contains("## Verdicts") && text.contains("\"directly sharing attention (DS) leads to"))
        #expect(text.contains("retaining merely 46.67%"))
        // scripts/table2 runs the same evaluations, one database per run under OUT/runs, and writes both files
        let out = dir.appendingPathComponent("script")
        let scriptEnv = ["OUT": out.path, "TASKS": "piqa:6 lambada:6"]
        #expect(try Self.table2Script([TestPaths.gemma, "ds=\(sharing)"], env: scriptEnv) == 0)
        // the same numbers (the seconds column aside: resuming a finished run re-stores its time)
        func numbers(_ text: String) -> [String] {
            let lines = text.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
            let seconds = lines[0].firstIndex(of: "seconds")!
            return lines.map {
                var f = $0
                f.remove(at: seconds)
                return f.joined(separator: ",")
            }
        }
        #expect(
            numbers(try String(contentsOf: out.appendingPathComponent("table2.csv"), encoding: .utf8))
                == numbers(try String(contentsOfFile: csvPath, encoding: .utf8)))
        let runFiles = try FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent("runs").path)
        #expect(
            Set(runFiles.filter { $0.hasSuffix(".sqlite") })
                == ["piqa-original.sqlite", "piqa-ds.sqlite", "lambada-original.sqlite", "lambada-ds.sqlite"])
        #expect(
            try String(contentsOf: out.appendingPathComponent("table9-ds.md"), encoding: .utf8).contains("| piqa |"))
        // a second run resumes every finished run: the same documents, none scored again
        let piqaRun = out.appendingPathComponent("runs/piqa-ds.sqlite").path
        let before = try LisaStore(path: piqaRun).evalRuns().map(\.id)
        #expect(try Self.table2Script([TestPaths.gemma, "ds=\(sharing)"], env: scriptEnv) == 0)
        #expect(try LisaStore(path: piqaRun).evalRuns().map(\.id) == before)

        // with --model, DS's parameter columns: 10 layers × (W^Q 640·4·256 + W^K 640·1·256) of 268,098,176 = 3.06 %
        let withModel = try LisaBinary.run([
            "table2", "--db", db, "--model", TestPaths.gemma, "--method", "ds=sharing:\(sharing)",
        ])
        #expect(withModel.status == 0 && withModel.stdout.contains("| ds | 0.00 | 3.06 |"), "\(withModel.stdout)")

        // a method without runs, a bad --method and an unknown --reference are errors naming them
        let none = try LisaBinary.run(["table2", "--db", db, "--method", "x=sharing:/nonexistent.json"])
        #expect(none.status != 0 && none.stderr.contains("/nonexistent.json"))
        let bad = try LisaBinary.run(["table2", "--db", db, "--method", "ds"])
        #expect(bad.status != 0 && bad.stderr.contains("LABEL=sharing:FILE"))
        let ref = try LisaBinary.run(["table2", "--db", db, "--method", "ds=sharing:\(sharing)", "--reference", "y"])
        #expect(ref.status != 0 && ref.stderr.contains("--reference y"))
    }

    /// Table 6's layout (`--label-shots`): one column per (task, shots), each cell the mean of its own run's stored
    /// documents, paired against the original at the same shots; no average over columns (they share documents)
    /// and no Table 2 verdicts. scripts/table2 with TASKS "task@K:limit" runs the same evaluations.
    @Test(.needsGemma) func shotColumnsFromStoredRuns() throws {
        let dir = try TestPaths.tempDir("table6"); defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("t.sqlite").path
        let sharing = TestPaths.repoRoot.appendingPathComponent("reports/table1/ds-0.53.json").path
        for shots in ["0", "2"] {
            for extra in [[], ["--sharing", sharing]] {
                let r = try LisaBinary.run(
                    ["eval", TestPaths.gemma, "--task", "piqa", "--shots", shots, "--limit", "4", "--db", db] + extra)
                #expect(r.status == 0, "\(r.stderr)")
            }
        }
        let csvPath = dir.appendingPathComponent("t6.csv").path
        let r = try LisaBinary.run([
            "table2", "--db", db, "--method", "ds=sharing:\(sharing)", "--reference", "original", "--label-shots",
            "--csv", csvPath,
        ])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("| piqa 0-shot acc_norm | piqa 2-shot acc_norm |"), "\(r.stdout)")
        #expect(!r.stdout.contains("avg preserved") && !r.stdout.contains("## Verdicts"))
        let rows = try String(contentsOfFile: csvPath, encoding: .utf8).split(separator: "\n").dropFirst().map {
            $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        }
        #expect(
            rows.map { "\($0[0]) \($0[1])" }
                == ["original piqa 0-shot", "original piqa 2-shot", "ds piqa 0-shot", "ds piqa 2-shot"])
        let store = try LisaStore(path: db)
        for row in rows {
            let run = try store.evalRuns().first {
                $0.shots == Int(row[1].split(separator: " ")[1].dropLast(5))! && ($0.sharing != nil) == (row[0] == "ds")
            }!
            let docs = try store.evalDocuments(runId: run.id!).map { try documentResult($0).scores["acc_norm"]! }
            #expect(docs.count == 4 && abs(Double(row[4])! - docs.reduce(0, +) / 4) < 1e-12, "\(row)")
        }
        let withVerdicts = try LisaBinary.run([
            "table2", "--db", db, "--method", "ds=sharing:\(sharing)", "--label-shots", "--verdicts", dir.path,
        ])
        #expect(withVerdicts.status != 0 && withVerdicts.stderr.contains("--label-shots"))
        // the original alone is a table too
        let alone = try LisaBinary.run(["table2", "--db", db, "--label-shots"])
        #expect(alone.status == 0 && alone.stdout.contains("| original |"), "\(alone.stderr)")

        let out = dir.appendingPathComponent("script")
        let env = ["OUT": out.path, "TASKS": "piqa@2:4", "NAME": "table6", "REUSE": ""]
        #expect(try Self.table2Script([TestPaths.gemma, "ds=\(sharing)"], env: env) == 0)
        let runFiles = try FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent("runs").path)
        #expect(Set(runFiles.filter { $0.hasSuffix(".sqlite") }) == ["piqa-2shot-original.sqlite", "piqa-2shot-ds.sqlite"])
        let scripted = try String(contentsOf: out.appendingPathComponent("table6.csv"), encoding: .utf8)
            .split(separator: "\n").dropFirst().map { $0.split(separator: ",").prefix(6).joined(separator: ",") }
        #expect(scripted == rows.filter { $0[1] == "piqa 2-shot" }.map { $0.prefix(6).joined(separator: ",") })
    }
}

/// Table 2's parameter columns against the paper's own numbers (FIGURES.md Table 2: the formulas reproduce them).
@Suite struct Table2ParameterTests {
    @Test func paperNumbers() {
        // LLaMA3-8B: d 4096, 32 heads, 8 KV heads, d_k 128, 8.03 B parameters; LiSA (17), r = 20, DL F = 256
        let llama3 = AttentionShape(d: 4096, h: 32, hKV: 8, dK: 128)
        let lisa3 = parameterColumns(llama3, total: 8_030_261_248, ds: 0, lisa: 17, rank: 20, ffn: .dl(hidden: 256))
        #expect(String(format: "%.2f %.2f", lisa3.trained, lisa3.saved) == "0.70 3.74")
        let ds3 = parameterColumns(llama3, total: 8_030_261_248, ds: 17)
        #expect(String(format: "%.2f %.2f", ds3.trained, ds3.saved) == "0.00 4.44")
        // LLaMA2-7B: 32 heads, no GQA, 6.74 B parameters
        let llama2 = AttentionShape(d: 4096, h: 32, hKV: 32, dK: 128)
        let lisa2 = parameterColumns(llama2, total: 6_738_415_616, ds: 0, lisa: 17, rank: 20, ffn: .dl(hidden: 256))
        #expect(String(format: "%.2f %.2f", lisa2.trained, lisa2.saved) == "1.33 7.14")
        // by hand on Gemma 3 270M (d 640, 4 heads, 1 KV head, d_k 256): W^Q + W^K = 655,360 + 163,840 per layer
        #expect(removedPerLayer(AttentionShape(d: 640, h: 4, hKV: 1, dK: 256)) == 819_200)
        // SL over 4 heads: 2·4·4 + 4 = 36 parameters
        #expect(AlignFFNSize.sl.parameters(heads: 4) == 36)
    }

    /// A checkpoint's columns count its stored tensors; for LiSA layers that must agree with the paper's formula
    /// (so the tensors `LiSAParams` stores are exactly the paper's W_LR^Q, W_LR^K and FFN).
    @Test func checkpointColumnsCountTheStoredTensors() throws {
        let g = AttentionShape(d: 640, h: 4, hKV: 1, dK: 256), total = 268_098_176
        // layers 8 and 9 LiSA, 10 DS, the rest standard
        let sharing = SharingConfig(
            modelSHA256: "x", arch: "gemma3", nLayers: 18,
            layers: (0..<18).map { i in
                let mode: SharingConfig.Mode = i == 8 || i == 9 ? .lisa : i == 10 ? .ds : .standard
                return SharingConfig.Layer(index: i, mode: mode, source: mode == .standard ? nil : i - 1, reason: "t")
            })
        func stored(_ ffn: AlignFFNKind, rank: Int) -> [String: Int] {
            var c: [String: Int] = [:]
            for l in [8, 9] {
                for t in LiSAParams(heads: 4, kvHeads: 1, rank: rank, dim: 640, ffn: ffn, hidden: 256).tensors {
                    for prefix in ["", "adam.m.", "adam.v."] { c["\(prefix)layers.\(l).\(t.name)"] = t.buffer.count }
                }
            }
            return c
        }
        let meta = ["sharing": sharing.json, "method": "lisa"]
        for (kind, ffn, rank) in [(AlignFFNKind.sl, AlignFFNSize.sl, 16), (.dl, .dl(hidden: 256), 8)] {
            let got = try checkpointColumns(
                metadata: meta, tensorCounts: stored(kind, rank: rank), shape: g, total: total, path: "t")
            let want = parameterColumns(g, total: total, ds: 1, lisa: 2, rank: rank, ffn: ffn)
            #expect(abs(got.trained - want.trained) < 1e-12 && abs(got.saved - want.saved) < 1e-12, "\(kind)")
        }
        // align-only: W^LR is stored but frozen, so only the FFN is trained
        var alignOnly = meta
        alignOnly["align_only"] = "true"
        let a = try checkpointColumns(
            metadata: alignOnly, tensorCounts: stored(.sl, rank: 16), shape: g, total: total, path: "t")
        #expect(abs(a.trained - 100 * Double(2 * 36) / Double(total)) < 1e-12)
        // DS_LoRA at rank 4 on layers 8–10 as DS (by hand): V 640→256, O 1024→640, gate/up 640→2048, down 2048→640
        let perLayer = 4 * ((640 + 256) + (1024 + 640) + 2 * (640 + 2048) + (2048 + 640))
        var lora: [String: Int] = [:]
        for l in 8...10 { lora["layers.\(l).lora"] = perLayer; lora["adam.m.layers.\(l).lora"] = perLayer }
        let ds = SharingConfig(
            modelSHA256: "x", arch: "gemma3", nLayers: 18,
            layers: (0..<18).map { i in
                SharingConfig.Layer(
                    index: i, mode: (8...10).contains(i) ? .ds : .standard, source: (8...10).contains(i) ? i - 1 : nil,
                    reason: "t")
            })
        let d = try checkpointColumns(
            metadata: ["sharing": ds.json, "method": "ds-lora"], tensorCounts: lora, shape: g, total: total, path: "t")
        #expect(abs(d.trained - 100 * Double(3 * perLayer) / Double(total)) < 1e-12)
        #expect(abs(d.saved - 100 * Double(3 * 819_200 - 3 * perLayer) / Double(total)) < 1e-12)
        #expect(throws: CheckpointError.self) {
            try checkpointColumns(metadata: [:], tensorCounts: lora, shape: g, total: total, path: "t")
        }
    }
}
