import Basics
import Evaluation
import Foundation
import Store
@testable import Studies
import Testing
import TestSupport

// `lisa export --csv`: tidy tables of a run, checked on hand-made results, and the README's Python lines (stdlib,
// and pandas where it is installed) run against a real tiny study's database and export.

@Suite struct ExportTests {
    func read(_ dir: URL, _ name: String) throws -> String {
        try String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8)
    }

    @Test func handMadeResultsBecomeTidyTables() throws {
        let store = try LisaStore()
        let m = try store.registerModel(
            ModelRecord(
                sha256: "abc", fileName: "m.gguf", arch: "gemma3", nLayers: 2, nHeads: 2,
                nKVHeads: 1, headDim: 4))
        let run = try store.createRun(study: "s", modelId: m.id!, parameters: "{}", seed: 5, toolVersion: "t")
        let id = run.id!
        try store.putResult(
            runId: id, task: "piqa", kind: "s1",
            value: ResultJSON.encode(
                S1Result(
                    samples: 3, meanTokens: 9, matrix: [[0, 0.125], [0.125, 0]], adjacent: [0.125], adjacentMean: 0.125,
                    offDiagonalMean: 0.125)))
        try store.putResult(
            runId: id, task: "piqa", kind: "s2",
            value: ResultJSON.encode(
                S2Result(
                    samples: 3, curves: ["position": [0.25], "similarity": [0.0625]],
                    perHead: ["position": [[0.5, 0]], "similarity": [[0.0625, 0.0625]]], staticMap: [[1, 0]],
                    staticPerHead: [[0.5, 0.25]])))
        try store.putResult(runId: id, task: "piqa", kind: "cosine", sampleId: 4, value: "{\"Q\":[0.75]}")
        let sweep = SensitivityResult(
            task: "piqa", metric: "acc_norm", shots: 0, n: 30, seed: 1234, nLayers: 6, baseline: 0.6,
            baselineStandardError: 0.09,
            pairs: [
                PairScore(
                    pair: LayerPair(first: 2, second: 3), ds: 0.5,
                    dsStandardError: 0.1, uniform: .nan, uniformStandardError: .nan)
            ], seconds: 10)
        try store.putResult(runId: id, task: "piqa", kind: "sensitivity", value: CanonicalJSON.string(sweep))
        let ev = try store.createEvalRun(
            EvalRunRecord(
                modelId: m.id!, studyRunId: id, unit: "ds 3–4", task: "piqa", shots: 0,
                seed: 1234, docLimit: 2, policies: "{\"2\":\"ds\"}", sharing: nil,
                parameters: "{}", n: 2, primaryMetric: "acc_norm", toolVersion: "t"))
        try store.storeEvalDocument(
            EvalDocumentRecord(
                evalRunId: ev.id!, ordinal: 0, docIndex: 17, logLikelihoods: "[-1.5,-2.5]",
                gold: 1, prediction: "0", scores: "{\"acc_norm\":0}", seconds: 0.5, tokens: 20))
        try store.finishEvalRun(
            id: ev.id!, n: 1, metrics: "{\"acc_norm\":0.0}", stderr: "{\"acc_norm\":0.0}", seconds: 0.5, tokens: 20)

        let dir = try TestPaths.tempDir("export")
        let files = try StudyExport.write(store: store, runId: id, format: .csv, to: dir).map(\.lastPathComponent)
        #expect(
            files == [
                "samples.csv", "results.csv", "plots.csv", "eval_runs.csv", "eval_documents.csv",
                "eval_loglikelihoods.csv", "s1.csv", "s2.csv", "s2_heads.csv", "s2_static_map.csv", "cosine.csv",
                "sensitivity.csv", "README.md",
            ])
        let r = "\(id)"
        #expect(
            try read(dir, "s1.csv") == """
                run_id,task,variant,layer_a,layer_b,jsd,samples
                \(r),piqa,s1,0,0,0.0,3
                \(r),piqa,s1,0,1,0.125,3
                \(r),piqa,s1,1,0,0.125,3
                \(r),piqa,s1,1,1,0.0,3

                """)
        #expect(
            try read(dir, "s2.csv") == """
                run_id,task,alignment,layer_a,layer_b,jsd,samples
                \(r),piqa,position,0,1,0.25,3
                \(r),piqa,similarity,0,1,0.0625,3

                """)
        #expect(
            try read(dir, "s2_heads.csv") == """
                run_id,task,alignment,layer_a,layer_b,head,jsd
                \(r),piqa,position,0,1,0,0.5
                \(r),piqa,position,0,1,1,0.0
                \(r),piqa,similarity,0,1,0,0.0625
                \(r),piqa,similarity,0,1,1,0.0625
                \(r),piqa,static,0,1,0,0.5
                \(r),piqa,static,0,1,1,0.25

                """)
        #expect(
            try read(dir, "s2_static_map.csv")
                == "run_id,task,layer_a,layer_b,head,matched_head\n\(r),piqa,0,1,0,1\n\(r),piqa,0,1,1,0\n")
        #expect(
            try read(dir, "cosine.csv")
                == "run_id,task,sample_id,submodule,layer_a,layer_b,cosine\n\(r),piqa,4,Q,0,1,0.75\n")
        #expect(
            try read(dir, "sensitivity.csv") == """
                run_id,task,metric,shots,n,seed,pair,layer_a,layer_b,policy,score,stderr,baseline
                \(r),piqa,acc_norm,0,30,1234,baseline,,,baseline,0.6,0.09,0.6
                \(r),piqa,acc_norm,0,30,1234,3–4,2,3,ds,0.5,0.1,0.6

                """)
        let e = "\(ev.id!)"
        #expect(
            try read(dir, "eval_runs.csv") == """
                eval_run_id,study_run_id,unit,task,shots,seed,doc_limit,policies_json,status,n,primary_metric,metric,value,stderr,seconds,tokens,copied_from
                \(e),\(r),ds 3–4,piqa,0,1234,2,"{""2"":""ds""}",finished,1,acc_norm,acc_norm,0.0,0.0,0.5,20,

                """)
        #expect(
            try read(dir, "eval_documents.csv") == """
                eval_run_id,ordinal,doc_index,gold,prediction,metric,score,seconds,tokens
                \(e),0,17,1,0,acc_norm,0.0,0.5,20

                """)
        #expect(
            try read(dir, "eval_loglikelihoods.csv") == """
                eval_run_id,doc_index,choice,log_likelihood,is_gold
                \(e),17,0,-1.5,0
                \(e),17,1,-2.5,1

                """)
        let readme = try read(dir, "README.md")
        for f in files where f.hasSuffix(".csv") { #expect(readme.contains("## \(f) ("), "\(f) not in README.md") }
        #expect(readme.contains("| `matched_head` | 0-based head j*(i) of layer n−1 |"))

        let single = try TestPaths.tempDir("export-eval")
        #expect(
            try StudyExport.writeEval(store: store, evalRunId: ev.id!, to: single).map(\.lastPathComponent)
                == ["eval_runs.csv", "eval_documents.csv", "eval_loglikelihoods.csv", "README.md"])
    }

    /// The README's ```python blocks after the pandas marker, with the example paths replaced.
    static func snippets(db: String, export: String) throws -> [String] {
        let readme = try String(
            contentsOf: TestPaths.repoRoot.appendingPathComponent("docs/studies.md"), encoding: .utf8)
        guard let start = readme.range(of: "<!-- pandas snippet") else { return [] }
        let blocks = readme[start.upperBound...].components(separatedBy: "```python\n").dropFirst().prefix(2)
        return blocks.map { b in
            String(b.components(separatedBy: "```")[0]).replacingOccurrences(of: "reports/lisa.sqlite", with: db)
                .replacingOccurrences(of: "out/run2", with: export)
        }
    }

    static func python(_ code: String) throws -> (status: Int32, out: String, err: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", code]
        let o = Pipe(), e = Pipe()
        p.standardOutput = o; p.standardError = e
        try p.run()
        let out = String(decoding: o.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let err = String(decoding: e.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return (p.terminationStatus, out.trimmingCharacters(in: .whitespacesAndNewlines), err)
    }

    static let hasPandas = (try? python("import pandas"))?.status == 0

    /// One tiny study (Gemma, PIQA × 6, every analysis, one thread) and its export, shared by the two Python tests.
    struct TinyRun { let db: URL; let out: URL; let runId: Int64; let store: LisaStore }
    struct Failed: Error, CustomStringConvertible { let description: String }
    static let tiny: Result<TinyRun, Error> = Result {
        let dir = try TestPaths.tempDir("export-tiny")
        let db = dir.appendingPathComponent("lisa.sqlite"), out = dir.appendingPathComponent("run")
        let study = try LisaBinary.run([
            "study", "run", "studies/tiny.yaml", TestPaths.gemma, "--db", db.path,
            "--data", TestPaths.data.path, "--reports", dir.appendingPathComponent("reports").path,
            "--threads", "1",
        ])
        guard study.status == 0 else { throw Failed(description: "lisa study run tiny failed: \(study.stderr)") }
        let store = try LisaStore(path: db.path)
        guard let run = try store.latestFinishedRun(study: "tiny") else {
            throw Failed(description: "no finished tiny run in \(db.path)")
        }
        let export = try LisaBinary.run(["export", "--run", "\(run.id!)", "--csv", out.path, "--db", db.path])
        guard export.status == 0 else { throw Failed(description: "lisa export failed: \(export.stderr)") }
        return TinyRun(db: db, out: out, runId: run.id!, store: store)
    }

    @Test(.needsGemma) func readmePythonLoadsATinyStudysDatabaseAndCSV() throws {
        let t = try Self.tiny.get()
        #expect(FileManager.default.fileExists(atPath: t.out.appendingPathComponent("README.md").path))
        // Gemma's tokenizer adds a BOS: the report's top-k table says so (a Qwen report says it has none)
        let report = try String(
            contentsOf: t.db.deletingLastPathComponent().appendingPathComponent("reports/tiny/report.md"),
            encoding: .utf8)
        #expect(report.contains("tokens, BOS at index 0), weight / index / piece"), "\(report.prefix(400))")
        // What the CSV must hold, from the database's own JSON: every S1 entry of both variants.
        var rows = 0, sum = 0.0
        for r in try t.store.results(runId: t.runId) where r.kind == "s1" || r.kind == "s1_excl_first" {
            let m = try ResultJSON.decode(S1Result.self, r.value).matrix
            rows += m.count * m.count
            if r.kind == "s1" { sum += m.joined().reduce(0, +) }
        }
        #expect(rows == 2 * 18 * 18)

        let code = try Self.snippets(db: t.db.path, export: t.out.path)
        // a missing snippet fails the test here (and stops it), it is not a silent pass
        try #require(
            code.count == 2,
            "docs/studies.md has no pandas snippet (marker `<!-- pandas snippet`, two ```python blocks)")
        #expect(code[0].contains("pandas") && code[1].contains("csv.DictReader"))
        #expect(code.allSatisfy { $0.split(separator: "\n").count == 3 }, "each snippet is three lines")
        let stdlib = try Self.python(
            code[1] + """
                print(len(runs), runs[0][0], runs[0][1], len(s1), repr(sum(float(r["jsd"]) for r in s1 if r["variant"] == "s1")))
                """)
        #expect(stdlib.status == 0, "\(stdlib.err)")
        let v = stdlib.out.split(separator: " ").map(String.init)
        try #require(v.count == 5, "the stdlib snippet printed \(stdlib.out)")
        #expect(v[0] == "1" && v[1] == "\(t.runId)" && v[2] == "tiny" && v[3] == "\(rows)")
        #expect(abs((Double(v[4]) ?? .nan) - sum) <= 1e-9 * max(1, abs(sum)), "python \(v[4]) vs the store's \(sum)")
    }

    @Test(
        .needsGemma,
        .enabled(if: ExportTests.hasPandas, "pandas is not installed (pip install pandas); the stdlib variant ran"))
    func readmePandasLinesLoadTheSameNumbers() throws {
        let t = try Self.tiny.get()
        let s1 = try ResultJSON.decode(
            S1Result.self, #require(try t.store.result(runId: t.runId, task: "piqa", kind: "s1")))
        let code = try Self.snippets(db: t.db.path, export: t.out.path)
        try #require(code.count == 2)
        let r = try Self.python(
            code[0] + """
                print(len(runs), int(runs.id.iloc[0]), s1.shape[0], repr(float(s1[s1.variant == "s1"].jsd.sum())))
                """)
        #expect(r.status == 0, "\(r.err)")
        let v = r.out.split(separator: " ").map(String.init)
        #expect(v.count == 4 && v[0] == "1" && v[1] == "\(t.runId)" && v[2] == "\(2 * 18 * 18)")
        let sum = s1.matrix.joined().reduce(0, +)
        #expect(abs((Double(v.last ?? "") ?? .nan) - sum) <= 1e-9 * max(1, abs(sum)))
    }
}
