import Datasets
import Evaluation
import Foundation
import Models
import Store
@testable import Studies
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

// The `kind: sensitivity` study end to end on Gemma 3 270M (PIQA, 2 items, one pair): the stored sweep
// equals direct `evaluate` calls with the same policies, and the report files exist.

@Suite(.serialized) struct SensitivityStudyTests {
    func writeSpec(_ dir: URL) throws -> String {
        let path = dir.appendingPathComponent("sens.yaml").path
        try """
        name: sens
        kind: sensitivity
        title: "test sweep"
        model: \(TestPaths.gemma)
        seed: 11
        figure: curves
        tasks:
          - {task: piqa, limit: 2}
        policies: [ds, uniform]
        pairs: ["17-18"]
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test(.needsGemma) func storedScoresEqualDirectEvaluation() throws {
        let dir = try TestPaths.tempDir("sens")
        let spec = try writeSpec(dir)
        let db = dir.appendingPathComponent("s.sqlite").path
        let tasks = TestPaths.repoRoot.appendingPathComponent("tasks").path
        let o = StudyRunOptions(
            dbPath: db, dataDir: TestPaths.data.path, reportsDir: dir.appendingPathComponent("reports").path,
            tasksDir: tasks, log: { _ in })
        let summary = try StudyRunner.run(specPath: spec, options: o)
        #expect(summary.samplesCaptured == 6)  // 3 configurations × 2 documents
        let store = try LisaStore(path: db)
        let units = try store.evalRuns(studyRunId: summary.runId)
        #expect(units.map { $0.unit ?? "" } == ["baseline", "ds 17–18", "uniform 17–18"])
        let sweep = try #require(try storedSweeps(store: store, runId: summary.runId)["piqa"])
        #expect(sweep.pairs.map(\.pair) == [LayerPair(first: 16, second: 17)])

        let task = try EvalTask(
            spec: TasksFolder(path: tasks).spec("piqa"), data: DataDirectory(path: TestPaths.data.path))
        let model = try LoadedModel(path: TestPaths.gemma, threads: 2)
        func direct(_ p: AttentionPolicies) throws -> TaskResult {
            try evaluate(task, model: model, options: EvalOptions(shots: 0, limit: 2, seed: 11, policies: p))
        }
        let pair = LayerPair(first: 16, second: 17)
        let base = try direct(AttentionPolicies()), ds = try direct(pairPolicies(pair, .directShare(headMap: nil)))
        let uni = try direct(pairPolicies(pair, .uniform))
        // Same documents, same policies, same code path: the scores agree exactly, per document too.
        #expect(sweep.baseline == base.metrics["acc_norm"])
        #expect(sweep.pairs[0].ds == ds.metrics["acc_norm"])
        #expect(sweep.pairs[0].uniform == uni.metrics["acc_norm"])
        let storedDs = try store.evalDocuments(runId: units[1].id!).map { try documentResult($0) }
        #expect(storedDs == ds.documents.map(\.asStored))
        let storedUni = try store.evalDocuments(runId: units[2].id!).map { try documentResult($0) }
        #expect(storedUni == uni.documents.map(\.asStored))
        // DS on layers 16–17 changes the log-likelihoods (the policy really ran).
        #expect(ds.documents[0].logLikelihoods != base.documents[0].logLikelihoods)

        let report = dir.appendingPathComponent("reports/sens")
        for f in ["report.md", "verdicts.json", "piqa_sensitivity.csv", "piqa_curves.png", "piqa_curves.svg"] {
            #expect(FileManager.default.fileExists(atPath: report.appendingPathComponent(f).path), "missing \(f)")
        }
        // the report's verdicts file names the run's parameters (the study file has no claims)
        let saved = try #require(try StudyVerdicts.load(dir: report))
        #expect(saved.study == "sens" && saved.claims.isEmpty && saved.model == "gemma-3-270m-q4_k_m")
        #expect(saved.parameters == (try store.run(id: summary.runId)).parameters)
        // A second run finds the finished study and stores nothing new.
        let again = try StudyRunner.run(specPath: spec, options: o)
        #expect(again.alreadyFinished && again.runId == summary.runId)
        #expect(try store.evalRuns(studyRunId: summary.runId).count == 3)
    }

    /// A second study whose configurations equal finished ones of the first copies them instead of scoring them
    /// again (fig9's PIQA ranking is fig6's DS runs); `force` scores them afresh, with the same numbers.
    @Test(.needsGemma) func identicalConfigurationsOfAnotherStudyAreCopied() throws {
        let dir = try TestPaths.tempDir("sens-copy"); defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("s.sqlite").path
        func options(force: Bool = false) -> StudyRunOptions {
            StudyRunOptions(
                dbPath: db, dataDir: TestPaths.data.path, reportsDir: dir.appendingPathComponent("reports").path,
                resume: true, force: force, tasksDir: TestPaths.repoRoot.appendingPathComponent("tasks").path,
                log: { _ in })
        }
        let first = try StudyRunner.run(specPath: try writeSpec(dir), options: options())
        #expect(first.samplesCaptured == 6)
        // the same sweep without uniform, under another name: its two configurations are first's baseline and DS
        let second = dir.appendingPathComponent("second.yaml").path
        try String(contentsOfFile: try writeSpec(dir), encoding: .utf8)
            .replacingOccurrences(of: "name: sens", with: "name: second")
            .replacingOccurrences(of: "policies: [ds, uniform]", with: "policies: [ds]")
            .write(toFile: second, atomically: true, encoding: .utf8)
        let copied = try StudyRunner.run(specPath: second, options: options())
        #expect(copied.samplesCaptured == 0 && copied.samplesResumed == 4)
        let store = try LisaStore(path: db)
        let a = try store.evalRuns(studyRunId: first.runId), b = try store.evalRuns(studyRunId: copied.runId)
        #expect(b.map(\.unit) == ["baseline", "ds 17–18"])
        #expect(b.map(\.copiedFrom) == [a[0].id, a[1].id])
        #expect(b.map(\.metrics) == [a[0].metrics, a[1].metrics] && b.allSatisfy { $0.status == .finished })
        // the report says the configurations were copied, and from which runs
        let report = try String(
            contentsOf: dir.appendingPathComponent("reports/second/report.md"), encoding: .utf8)
        #expect(report.contains(
            "2 of its 2 configurations were not scored here: their documents (and their share of that time) were "
                + "copied from the identical finished evaluation runs \(a[0].id!), \(a[1].id!)."))
        for (x, y) in zip(a.prefix(2), b) {
            #expect(try store.evalDocuments(runId: x.id!).map(\.logLikelihoods)
                == store.evalDocuments(runId: y.id!).map(\.logLikelihoods))
        }
        // --force: a new run of `second` that scores both configurations itself, to the same numbers
        let forced = try StudyRunner.run(specPath: second, options: options(force: true))
        #expect(forced.samplesCaptured == 4)
        let c = try store.evalRuns(studyRunId: forced.runId)
        #expect(c.allSatisfy { $0.copiedFrom == nil } && c.map(\.metrics) == b.map(\.metrics))
    }

    /// `lisa study run` on the same sweep, SIGKILLed after its first stored configuration, then resumed:
    /// the stored sweep equals an uninterrupted run's, with one row per (configuration, document).
    @Test(.needsGemma) func killedSweepResumesToTheSameSweep() throws {
        let dir = try TestPaths.tempDir("sens-kill"); defer { try? FileManager.default.removeItem(at: dir) }
        let spec = try writeSpec(dir)
        func args(_ db: URL, _ extra: [String] = []) -> [String] {
            [
                "study", "run", spec, "--db", db.path, "--data", TestPaths.data.path,
                "--reports", dir.appendingPathComponent("reports").path,
            ] + extra
        }
        func sweep(_ db: URL) throws -> SensitivityResult? {
            let store = try LisaStore(path: db.path)
            let run = try #require(try store.latestFinishedRun(study: "sens"))
            return try storedSweeps(store: store, runId: run.id!)["piqa"]
        }
        let full = dir.appendingPathComponent("full.sqlite"), killed = dir.appendingPathComponent("killed.sqlite")
        let r = try LisaBinary.run(args(full))
        #expect(r.status == 0, "\(r.stderr)")

        let p = try LisaBinary.start(args(killed, ["--throttle-ms", "3000"]))
        var stored = 0
        let deadline = Date().addingTimeInterval(300)  // model loading is slow when the cores are shared
        while Date() < deadline, p.isRunning {
            usleep(50_000)
            if FileManager.default.fileExists(atPath: killed.path),
                let n = try? LisaStore(path: killed.path).count("evalDocuments"), n >= 2
            {
                stored = n; break
            }
        }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        #expect(p.terminationReason == .uncaughtSignal)
        #expect(stored >= 2 && stored < 6, "killed after \(stored) of 6 documents")

        // Without --resume the interrupted run is an error naming the way on; with it the sweep completes.
        let refused = try LisaBinary.run(args(killed))
        #expect(refused.status != 0 && refused.stderr.contains("--resume"), "\(refused.stderr)")
        let resumed = try LisaBinary.run(args(killed, ["--resume"]))
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let store = try LisaStore(path: killed.path)
        #expect(try store.integrityCheck() == "ok")
        #expect(try store.count("evalRuns") == 3 && store.count("evalDocuments") == 6)
        let a = try #require(try sweep(killed)), b = try #require(try sweep(full))
        #expect(
            a.baseline == b.baseline && a.pairs.map(\.ds) == b.pairs.map(\.ds)
                && a.pairs.map(\.uniform) == b.pairs.map(\.uniform))
    }

    @Test func unknownPairIsAClearError() throws {
        let dir = try TestPaths.tempDir("sens-bad")
        let path = dir.appendingPathComponent("bad.yaml").path
        try """
        name: bad
        kind: sensitivity
        title: t
        model: m.gguf
        seed: 1
        figure: ranking
        tasks: [{task: piqa, limit: 2}]
        policies: [ds, average]
        """.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: StudyError.self) { try SensitivityStudySpec.load(path) }
        do { _ = try SensitivityStudySpec.load(path) } catch {
            #expect(
                "\(error)"
                    == "The study file \(path) is not a valid study: policies: \"average\" is neither ds nor uniform.")
        }
        let spec = SensitivityStudySpec(
            name: "x", kind: "sensitivity", title: "t", model: "m", seed: 1, figure: .ranking,
            tasks: [], policies: ["ds"], pairs: ["2-3"])
        #expect(throws: StudyError.self) { try spec.layerPairs(nLayers: 18, file: "f.yaml") }
        #expect(
            try SensitivityStudySpec(
                name: "x", kind: "sensitivity", title: "t", model: "m", seed: 1, figure: .ranking,
                tasks: [], policies: ["ds"], pairs: ["3-4", "17–18"]
            ).layerPairs(nLayers: 18, file: "f")
                == [LayerPair(first: 2, second: 3), LayerPair(first: 16, second: 17)])
    }

    // A sweep is built from its units by typed keys (issue 16): a unit the study runs but that is missing, or whose
    // run lacks the metric, is an error naming it, never a silent NaN; a policy the study does not run is NaN.
    @Test func aMissingUnitIsNamedAndAnUnrunPolicyIsNaN() throws {
        let spec = SensitivityStudySpec(
            name: "s", kind: "sensitivity", title: "t", model: "m", seed: 1, figure: .ranking,
            tasks: [SensitivityTaskEntry(task: "piqa", limit: 2)], policies: ["ds"])
        let pairs = [LayerPair(first: 2, second: 3), LayerPair(first: 4, second: 5)]
        let plan = SensitivityStudy.unitPlan(spec, pairs: pairs)
        #expect(plan.map(\.label) == ["baseline", "ds 3–4", "ds 5–6"])
        func score(_ u: SensitivityStudy.Unit, _ acc: Double) -> SensitivityStudy.UnitScore {
            SensitivityStudy.UnitScore(
                task: u.task, key: u.key, metrics: ["acc": acc], standardErrors: ["acc": 0.1], n: 2, shots: 0,
                primaryMetric: "acc", seconds: 1)
        }
        let all = zip(plan, [0.8, 0.7, 0.6]).map { score($0, $1) }
        let sweep = try #require(try SensitivityStudy.sweeps(spec, nLayers: 8, pairs: pairs, units: all).first)
        #expect(sweep.baseline == 0.8 && sweep.pairs.map(\.ds) == [0.7, 0.6])
        #expect(sweep.pairs.allSatisfy { $0.uniform.isNaN && $0.uniformStandardError.isNaN })
        do {
            _ = try SensitivityStudy.sweeps(spec, nLayers: 8, pairs: pairs, units: [all[0], all[2]])
            Issue.record("a missing unit must be an error")
        } catch {
            #expect(
                "\(error)"
                    == "Study s has no acc for the configuration \"ds 3–4\" of task piqa; its sweep cannot be computed."
            )
        }
        var noMetric = all
        noMetric[0] = SensitivityStudy.UnitScore(
            task: 0, key: .baseline, metrics: [:], standardErrors: [:], n: 2, shots: 0,
            primaryMetric: "acc", seconds: 1)
        #expect(throws: StudyError.self) {
            try SensitivityStudy.sweeps(spec, nLayers: 8, pairs: pairs, units: noMetric)
        }
    }

    @Test func resultKindsRoundTripTheirStoredNames() {
        let kinds: [ResultKind] = [
            .s1, .s1ExclFirst, .s2, .twoSentence, .topK, .distributions, .cosine, .topKStep(1024),
            .sensitivity, .layout, .loadavg,
        ]
        #expect(
            kinds.map(\.rawValue) == [
                "s1", "s1_excl_first", "s2", "two_sentence", "top_k", "distributions", "cosine",
                "top_k_step1024", "sensitivity", "layout", "loadavg",
            ])
        for k in kinds { #expect(ResultKind(rawValue: k.rawValue) == k) }
        for bad in ["", "S1", "top_k_step", "top_k_stepx", "s3"] { #expect(ResultKind(rawValue: bad) == nil) }
    }
}
