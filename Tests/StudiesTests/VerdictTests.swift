import Evaluation
import Foundation
import Store
import Studies
import TestSupport
import Testing

/// Verdict rules (studies/VERDICTS.md), the paired sensitivity statistics and FINDINGS.md, on hand-made
/// stored results whose outcomes are known by construction.
@Suite struct VerdictTests {
    func store() throws -> (LisaStore, Int64) {
        let s = try LisaStore()
        let m = try s.registerModel(
            ModelRecord(
                sha256: "ab", fileName: "m.gguf", arch: "gemma3", nLayers: 4, nHeads: 2, nKVHeads: 1, headDim: 8))
        let run = try s.createRun(study: "v", modelId: m.id!, parameters: "{}", seed: 5, toolVersion: "t")
        return (s, run.id!)
    }

    func json(_ o: Any) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: o), as: UTF8.self)
    }

    /// An S1 result whose per-sample adjacent JSDs are `per` ([sample][pair]); the means are filled in.
    func putS1(_ s: LisaStore, _ run: Int64, task: String = "piqa", _ per: [[Double]]) throws {
        let k = per[0].count
        let adj = (0..<k).map { j in per.map { $0[j] }.reduce(0, +) / Double(per.count) }
        try s.putResult(
            runId: run, task: task, kind: "s1",
            value: json([
                "samples": per.count, "meanTokens": 10, "matrix": [[0.0]], "adjacent": adj,
                "adjacentMean": adj.reduce(0, +) / Double(k),
                "offDiagonalMean": 0.05, "perSampleAdjacent": per, "perSampleOffDiagonal": per.map { _ in 0.05 },
            ]))
    }

    func rule(_ text: String) throws -> VerdictRule {
        try JSONDecoder().decode(VerdictRule.self, from: Data(text.utf8))
    }

    @Test func adjacentCountsAndMeansAgainstThresholds() throws {
        let (s, run) = try store()
        // pairs: always 0.01, always 0.02, always 0.3 → 2 of 3 below 0.05 in every resample
        try putS1(s, run, (0..<12).map { _ in [0.01, 0.02, 0.3] })
        let ctx = VerdictContext(store: s, runId: run, tasks: ["piqa"], seed: 1)
        let most = try ctx.evaluate(rule(#"{"measure": "s1_adjacent_below", "threshold": 0.05, "expect": "most"}"#))
        #expect(most.agrees == .yes && most.measurement.hasPrefix("2 of 3 adjacent pairs < 0.05"), "\(most)")
        let all = try ctx.evaluate(rule(#"{"measure": "s1_adjacent_below", "threshold": 0.05, "expect": "all"}"#))
        #expect(all.agrees == .no)
        // the per-sample adjacent mean is (0.01 + 0.02 + 0.3)/3 = 0.11 in every sample: s.e. 0
        let below = try ctx.evaluate(rule(#"{"measure": "s1_adjacent_mean_below", "threshold": 0.2}"#))
        #expect(below.agrees == .yes && below.measurement.contains("0.1100 ± 0.0000"), "\(below.measurement)")
        #expect(try ctx.evaluate(rule(#"{"measure": "s1_adjacent_mean_below", "threshold": 0.1}"#)).agrees == .no)
    }

    @Test func aThresholdInsideTheNoiseIsPartly() throws {
        let (s, run) = try store()
        // per-sample adjacent means alternate 0.06 and 0.14: mean 0.10, s.e. ≈ 0.04/√12 ≈ 0.0115
        try putS1(s, run, (0..<12).map { $0 % 2 == 0 ? [0.06] : [0.14] })
        let ctx = VerdictContext(store: s, runId: run, tasks: ["piqa"], seed: 1)
        let o = try ctx.evaluate(rule(#"{"measure": "s1_adjacent_mean_below", "threshold": 0.105}"#))
        #expect(o.agrees == .partly && o.why.contains("inside the noise"), "\(o)")
        // 5 samples: measured, but no verdict
        let (s5, run5) = try store()
        try putS1(s5, run5, (0..<5).map { _ in [0.01] })
        let few = try VerdictContext(store: s5, runId: run5, tasks: ["piqa"], seed: 1)
            .evaluate(rule(#"{"measure": "s1_adjacent_mean_below", "threshold": 0.1}"#))
        #expect(few.agrees == .notApplicable && few.why.contains("N = 5 < 10"), "\(few)")
    }

    @Test func s2ComparisonsArePaired() throws {
        let (s, run) = try store()
        // 20 samples × 2 pairs; position 0.2 ± per-sample swing, random = position + 0.001, similarity 0.05
        let pos = (0..<20).map { i -> [Double] in
            let x = 0.2 + (i % 2 == 0 ? 0.05 : -0.05)
            return [x, x]
        }
        let rnd = pos.map { $0.map { $0 + 0.001 } }
        let sim = pos.map { _ in [0.05, 0.05] }
        try s.putResult(
            runId: run, task: "gsm8k", kind: "s2",
            value: json([
                "samples": 20, "curves": ["position": [0.2, 0.2]], "perHead": [String: Any](), "staticMap": [[Int]](),
                "staticPerHead": [[Double]](),
                "perSample": ["position": pos, "randomExpectation": rnd, "similarity": sim],
            ]))
        let ctx = VerdictContext(store: s, runId: run, tasks: ["gsm8k"], seed: 2)
        let ratio = try ctx.evaluate(
            rule(
                #"{"measure": "s2_compare", "scheme": "position", "than": "similarity", "expect": "greater", "factor": 2}"#
            ))
        #expect(ratio.agrees == .yes && ratio.measurement.contains("ratio 4.00"), "\(ratio.measurement)")
        let tooBig = try ctx.evaluate(
            rule(
                #"{"measure": "s2_compare", "scheme": "position", "than": "similarity", "expect": "greater", "factor": 5}"#
            ))
        #expect(tooBig.agrees == .partly && tooBig.why.contains("below the claimed"))
        // position − random = −0.001 in every sample: beyond 2 s.e. (s.e. 0) but 0.5 % relative → equal
        let eq = try ctx.evaluate(
            rule(#"{"measure": "s2_compare", "scheme": "position", "than": "randomExpectation", "expect": "equal"}"#))
        #expect(eq.agrees == .yes && eq.measurement.contains("paired difference -0.0010 ± 0.0000"), "\(eq.measurement)")
        #expect(
            try ctx.evaluate(rule(#"{"measure": "s2_mean_below", "scheme": "similarity", "threshold": 0.1}"#)).agrees
                == .yes)
        #expect(
            try ctx.evaluate(rule(#"{"measure": "s2_mean_below", "scheme": "position", "threshold": 0.1}"#)).agrees
                == .no)
    }

    /// A sensitivity run: baseline and DS on four pairs (two shallow, two deep), 20 documents each.
    func sensitivityRun() throws -> (LisaStore, Int64) {
        let (s, run) = try store()
        func unit(_ label: String, acc: (Int) -> Double, gold: (Int) -> Double) throws {
            let r = try s.createEvalRun(
                EvalRunRecord(
                    modelId: 1, studyRunId: run, unit: label, task: "piqa", shots: 0, seed: 1,
                    docLimit: 20, policies: "{}", sharing: nil, parameters: label, n: 20,
                    primaryMetric: "acc_norm", toolVersion: "t"))
            for d in 0..<20 {
                // two choices, gold 0: the gold log-likelihood is the first entry
                try s.storeEvalDocument(
                    EvalDocumentRecord(
                        evalRunId: r.id!, ordinal: d, docIndex: 100 + d,
                        logLikelihoods: "[\(gold(d)),-50]", gold: 0, prediction: "0",
                        scores: "{\"acc_norm\":\(acc(d))}", seconds: 0, tokens: 1))
            }
            try s.finishEvalRun(id: r.id!, n: 20, metrics: "{}", stderr: "{}", seconds: 0, tokens: 0)
        }
        try unit("baseline", acc: { $0 < 15 ? 1 : 0 }, gold: { _ in -10 })
        try unit("ds 3–4", acc: { $0 < 8 ? 1 : 0 }, gold: { -20 + Double($0 % 2) })
        try unit("ds 5–6", acc: { $0 < 9 ? 1 : 0 }, gold: { -18 + Double($0 % 2) })
        try unit("ds 15–16", acc: { $0 < 14 ? 1 : 0 }, gold: { -11 + 0.1 * Double($0 % 3) })
        try unit("ds 17–18", acc: { $0 < 15 ? 1 : 0 }, gold: { _ in -10.5 })
        return (s, run)
    }

    @Test func pairedDifferencesAgainstTheBaselineByHand() throws {
        let (s, run) = try sensitivityRun()
        let units = try sensitivityUnits(store: s, runId: run, task: "piqa", metric: "acc_norm")
        #expect(units.map(\.label) == ["baseline", "ds 3–4", "ds 5–6", "ds 15–16", "ds 17–18"])
        #expect(units[1].policy == "ds" && units[1].pairLabel == "3–4" && units[0].pairLabel == nil)
        let p = pairedAgainstBaseline(units)
        // ds 3–4: documents 8–14 lose their 1 → differences seven −1 and thirteen 0: mean −0.35,
        // sd √((7·0.65² + 13·0.35²)/19) = √(4.55/19), s.e. = that / √20
        #expect(abs(p[0].metricDelta.value + 0.35) < 1e-12)
        #expect(abs(p[0].metricDelta.se - (4.55 / 19).squareRoot() / 20.0.squareRoot()) < 1e-12)
        // gold log-likelihood −20 or −19 against −10: mean −9.5, sd √(20 · 0.25 / 19), s.e. / √20
        #expect(abs(p[0].goldLLDelta!.value + 9.5) < 1e-12)
        #expect(abs(p[0].goldLLDelta!.se - (5.0 / 19).squareRoot() / 20.0.squareRoot()) < 1e-12)
        #expect(p[3].metricDelta.value == 0 && p[3].metricDelta.se == 0)
    }

    @Test func shallowVersusDeepAndTheRankingsNoise() throws {
        let (s, run) = try sensitivityRun()
        let ctx = VerdictContext(
            store: s, runId: run, tasks: ["piqa"], seed: 1, sensitivityMetrics: ["piqa": "acc_norm"])
        // per document: mean(deep) − mean(shallow) = (−11 + 0.1·(d mod 3) − 10.5)/2 − (−38 + 2·(d mod 2))/2
        let perDoc = (0..<20).map { (d: Int) -> Double in
            let deep: Double = (-11 + 0.1 * Double(d % 3) - 10.5) / 2
            let shallow: Double = (-20 + Double(d % 2) - 18 + Double(d % 2)) / 2
            return deep - shallow
        }
        let expected = perDoc.reduce(0, +) / 20
        let gold = try ctx.evaluate(rule(#"{"measure": "shallow_vs_deep", "policy": "ds", "metric": "gold_ll"}"#))
        #expect(
            gold.agrees == .yes && gold.measurement.contains(String(format: "%+.3f", expected)), "\(gold.measurement)")
        let acc = try ctx.evaluate(rule(#"{"measure": "shallow_vs_deep", "policy": "ds", "metric": "accuracy"}"#))
        #expect(acc.agrees == .yes, "\(acc)")  // deep 14.5/20 vs shallow 8.5/20 solved on average: +30 points
        #expect(acc.measurement.contains("+30.000"), "\(acc.measurement)")
        let units = try sensitivityUnits(store: s, runId: run, task: "piqa", metric: "acc_norm")
        let byAcc = rankingNoiseStatement(Array(units.dropFirst()), gold: false, what: "acc_norm")
        #expect(byAcc.contains("differ beyond 2 s.e."), "\(byAcc)")
        // identical configurations cannot be ranked
        let same = rankingNoiseStatement([units[4], units[4]], gold: true, what: "gold log-likelihood")
        #expect(same.contains("not a ranking"), "\(same)")
        // a baseline at the floor gives no accuracy verdict
        #expect(isFloor(solved: 3, n: 100) && !isFloor(solved: 9, n: 12) && !isFloor(solved: 40, n: 100))
    }

    @Test func findingsCollectTaggedClaimsAndLeaveDPending() throws {
        let dir = try TestPaths.tempDir("findings")
        let studies = dir.appendingPathComponent("studies")
        try FileManager.default.createDirectory(at: studies, withIntermediateDirectories: true)
        try """
        name: v
        title: T
        model: models/small-model.gguf
        seed: 5
        datasets: [{task: piqa, samples: 12}]
        analyses: [s1]
        plots: []
        claims:
          - quote: "below 0.05"
            section: "§3.2"
            finding: a
            verdict: {measure: s1_adjacent_below, threshold: 0.05, expect: most}
        """.write(to: studies.appendingPathComponent("v.yaml"), atomically: true, encoding: .utf8)
        let spec = try StudySpec.load(studies.appendingPathComponent("v.yaml").path)
        let (s, old) = try store()  // a finished run with other parameters than the file: flagged
        try putS1(s, old, (0..<12).map { _ in [0.3, 0.3, 0.3] })
        try s.finishRun(id: old, captureSeconds: 1, analysisSeconds: 0, tokens: 1)
        let noReports = dir.appendingPathComponent("no-reports").path  // the database alone
        #expect(
            try Findings.markdown(store: s, studiesDir: studies.path, reportsDir: noReports).contains(
                "(run with other parameters than the study file; re-run it): **no**"))
        let run = try s.createRun(study: "v", modelId: 1, parameters: spec.parametersJSON(), seed: 5, toolVersion: "t")
            .id!
        try putS1(s, run, (0..<12).map { _ in [0.01, 0.02, 0.3] })
        try s.finishRun(id: run, captureSeconds: 1, analysisSeconds: 0, tokens: 1)
        let md = try Findings.markdown(store: s, studiesDir: studies.path, reportsDir: noReports)
        #expect(md.contains("| finding | small-model |"), "\(md)")
        #expect(md.contains("[v](./v/report.md): **yes** — 2 of 3 adjacent pairs < 0.05"), "\(md)")
        #expect(md.contains("(d) LiSA keeps") && md.contains("pending: needs the LiSA issue"))
        #expect(md.contains("- (a): yes (1 claim over 1 model(s))"))
        // Without the database, the verdicts a report left in reports/v/verdicts.json give the same cell.
        let reports = dir.appendingPathComponent("reports")
        let saved = StudyVerdicts(
            study: "v", model: "small-model", parameters: spec.parametersJSON(), source: "run \(run)",
            claims: spec.claims!, verdicts: VerdictContext(store: s, runId: run, tasks: ["piqa"], seed: 5).evaluate(
                spec.claims!))
        try FileManager.default.createDirectory(
            at: reports.appendingPathComponent("v"), withIntermediateDirectories: true)
        try saved.write(dir: reports.appendingPathComponent("v"))
        #expect(try StudyVerdicts.load(dir: reports.appendingPathComponent("v")) == saved)
        let fromFiles = try Findings.markdown(store: nil, studiesDir: studies.path, reportsDir: reports.path)
        #expect(
            fromFiles.contains("[v](./v/report.md) (from its report): **yes** — 2 of 3 adjacent pairs < 0.05"),
            "\(fromFiles)")
        #expect(fromFiles.contains("- (a): yes (1 claim over 1 model(s))"))
        // the database's run wins over the file; a file of other parameters is flagged stale
        #expect(!(try Findings.markdown(store: s, studiesDir: studies.path, reportsDir: reports.path)).contains(
            "(from its report)"))
        var old2 = saved
        old2.parameters = "{}"
        try old2.write(dir: reports.appendingPathComponent("v"))
        #expect(
            try Findings.markdown(store: nil, studiesDir: studies.path, reportsDir: reports.path).contains(
                "(from its report) (run with other parameters than the study file; re-run it): **yes**"))
        // a damaged file is an error naming it, not a silent gap
        try "{".write(
            to: reports.appendingPathComponent("v/verdicts.json"), atomically: true, encoding: .utf8)
        #expect(throws: StudyError.self) {
            try Findings.markdown(store: nil, studiesDir: studies.path, reportsDir: reports.path)
        }
        // a bad rule is refused when the study file is read
        try """
        name: w
        title: T
        model: m.gguf
        seed: 5
        datasets: [{task: piqa, samples: 12}]
        analyses: [s1]
        plots: []
        claims: [{quote: q, section: s, verdict: {measure: s1_adjacent_blow, threshold: 0.05}}]
        """.write(to: studies.appendingPathComponent("w.yaml"), atomically: true, encoding: .utf8)
        do {
            _ = try StudySpec.load(studies.appendingPathComponent("w.yaml").path)
            Issue.record("no error")
        } catch {
            #expect("\(error)".contains("unknown measure \"s1_adjacent_blow\""), "\(error)")
        }
    }
}
