import Evaluation
import Foundation
import Store
import Studies
import Testing
import TestSupport

// `--shard I/N` and `lisa merge` on Gemma 3 270M (one thread): a sharded tiny study, eval and sensitivity sweep
// merge into databases whose rows, results and reports equal an unsharded run's; the merge refuses shards that
// are missing, doubled, unfinished or of another run; a stopped shard re-runs alone with --resume.

/// Runs lisa and expects it to succeed (or, with `fails`, to fail), returning (stdout, stderr).
@discardableResult
func lisaOK(_ args: [String], fails: Bool = false, environment: [String: String?] = [:]) throws -> (String, String) {
    let r = try LisaBinary.run(args, environment: environment)
    #expect((r.status != 0) == fails, "lisa \(args.joined(separator: " ")) exited \(r.status): \(r.stderr)")
    return (r.stdout, r.stderr)
}

/// Everything a capture study's run stored, without timings and database ids: samples in run order with their
/// text, tokens, attention rows (bit for bit) and per-sample results, then the run-level results.
struct CaptureFingerprint: Equatable {
    var run: [String]
    var samples: [String]
    var rows: [Data]
    var results: [String]

    init(db: String, study: String) throws {
        let s = try LisaStore(path: db)
        let r = try #require(try s.latestFinishedRun(study: study))
        run = [
            r.study, r.parameters, "\(r.seed)", r.status.rawValue, "\(r.tokens)", r.toolVersion,
            try s.model(id: r.modelId)?.sha256 ?? "-",
        ]
        let stored = try s.storedSamples(runId: r.id!)
        samples = stored.map {
            "\($0.ordinal) \($0.task) \($0.file) #\($0.recordIndex) \($0.tokenIds) \($0.text) "
                + $0.results.map { "\($0.kind)=\($0.value)" }.joined(separator: ";")
        }
        rows = stored.flatMap { $0.rows.flatMap { $0.map(FloatBlob.encode) } }
        results = try s.results(runId: r.id!).filter { $0.sampleId == 0 }.map { "\($0.task)/\($0.kind): \($0.value)" }
    }
}

/// An evaluation run's stored numbers (no timings, no ids) and its documents.
func evalFingerprint(_ r: EvalRunRecord, _ s: LisaStore) throws -> [String] {
    [
        r.task, "\(r.shots)", "\(r.seed)", "\(r.docLimit ?? -1)", r.policies, r.sharing ?? "-", r.parameters,
        r.status.rawValue,
        "\(r.n)", r.primaryMetric, r.metrics, r.stderr, r.unit ?? "-",
    ]
        + (try s.evalDocuments(runId: r.id!)).map {
            "\($0.ordinal) \($0.docIndex) \($0.logLikelihoods ?? "-") \($0.gold ?? -1) \($0.prediction ?? "-") "
                + "\($0.scores) \($0.tokens)"
        }
}

/// report.md without its timing line.
func reportText(_ dir: URL, _ study: String) throws -> String {
    try String(contentsOf: dir.appendingPathComponent("\(study)/report.md"), encoding: .utf8)
        .split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix("Capture:") }
        .joined(separator: "\n")
}

func studyArgs(_ db: URL, reports: URL, _ extra: [String] = []) -> [String] {
    [
        "study", "run", "studies/tiny.yaml", TestPaths.gemma, "--db", db.path, "--data", TestPaths.data.path,
        "--reports", reports.path, "--threads", "1",
    ] + extra
}

@Suite(.serialized) struct ShardMergeTests {
    @Test(.needsGemma) func shardedTinyStudyMergesToTheUnshardedRun() throws {
        let dir = try TestPaths.tempDir("shards")
        let full = dir.appendingPathComponent("full.sqlite"), all = dir.appendingPathComponent("all.sqlite")
        let shard = (0..<2).map { dir.appendingPathComponent("shard-\($0).sqlite") }
        try lisaOK(studyArgs(full, reports: dir.appendingPathComponent("r-full")))
        for i in [1, 0] {  // order does not matter
            let (out, _) = try lisaOK(
                studyArgs(shard[i], reports: dir.appendingPathComponent("r-unused"), ["--shard", "\(i)/2"]))
            #expect(out.contains("shard \(i)/2: 3 units run, 0 resumed"))
            let s = try LisaStore(path: shard[i].path)
            #expect(try s.count("runSamples") == 3)
            #expect(try s.storedSamples(runId: 1).map(\.ordinal) == [i, i + 2, i + 4])
            // no analyses in a shard
            #expect(try s.results(runId: 1).allSatisfy { $0.kind == "layout" || $0.kind == "cosine" })
        }
        // Faults first: nothing may be written by a refused merge.
        let (_, missing) = try lisaOK(["merge", shard[0].path, "--into", all.path], fails: true)
        #expect(missing.contains("Shard 1/2 is missing"))
        let (_, twice) = try lisaOK(["merge", shard[0].path, shard[0].path, "--into", all.path], fails: true)
        #expect(twice.contains("Shard 0/2 is given twice"))
        let (_, notShard) = try lisaOK(["merge", shard[0].path, full.path, "--into", all.path], fails: true)
        #expect(notShard.contains("\(full.path) holds no shard run"))
        #expect(try LisaStore(path: all.path).count("runs") == 0)

        let (out, _) = try lisaOK(["merge", shard[1].path, shard[0].path, "--into", all.path])
        #expect(out.contains("merged 2 shards of study tiny (6 work units) into \(all.path)"))
        #expect(try CaptureFingerprint(db: all.path, study: "tiny") == CaptureFingerprint(db: full.path, study: "tiny"))
        let merged = try LisaStore(path: all.path)
        #expect(try merged.count("attentionRows") == 6 * 18 * 4)
        #expect(try merged.integrityCheck() == "ok")
        let (_, again) = try lisaOK(["merge", shard[0].path, shard[1].path, "--into", all.path], fails: true)
        #expect(again.contains("already holds run 1 (study tiny, finished)"))

        // The same report from the merged database as from the unsharded run's.
        let r1 = dir.appendingPathComponent("r1"), r2 = dir.appendingPathComponent("r2")
        try lisaOK([
            "report", "--study", "tiny", "--file", "studies/tiny.yaml", "--db", full.path, "--reports", r1.path,
        ])
        try lisaOK(["report", "--study", "tiny", "--file", "studies/tiny.yaml", "--db", all.path, "--reports", r2.path])
        #expect(try reportText(r1, "tiny") == reportText(r2, "tiny"))
        #expect(try reportText(r2, "tiny").contains("| piqa | 6 |"))
    }

    @Test(.needsGemma) func shardedEvalMergesToTheUnshardedAggregate() throws {
        let dir = try TestPaths.tempDir("shards-eval")
        func args(_ db: URL, _ extra: [String] = []) -> [String] {
            [
                "eval", TestPaths.gemma, "--task", "piqa", "--limit", "5", "--data", TestPaths.data.path, "--threads",
                "1",
                "--db", db.path,
            ] + extra
        }
        let full = dir.appendingPathComponent("full.sqlite"), all = dir.appendingPathComponent("all.sqlite")
        let shard = (0..<2).map { dir.appendingPathComponent("e\($0).sqlite") }
        let json = dir.appendingPathComponent("full.json")
        try lisaOK(args(full, ["--out", json.path]))
        try lisaOK(args(shard[0], ["--shard", "0/2"]))
        // Shard 1 stops after one of its two documents: the merge refuses it, a re-run of that shard alone continues
        // it.
        try lisaOK(args(shard[1], ["--shard", "1/2", "--stop-after", "1"]), fails: true)
        let (_, unfinished) = try lisaOK(["merge", shard[0].path, shard[1].path, "--into", all.path], fails: true)
        #expect(
            unfinished.contains(
                "Shard 1/2 in \(shard[1].path) has not finished; continue it with the same command and --resume"))
        let (_, log) = try lisaOK(args(shard[1], ["--shard", "1/2", "--resume"]))
        #expect(log.contains("1 of 2 documents were stored"))
        #expect(try LisaStore(path: shard[0].path).evalDocuments(runId: 1).map(\.ordinal) == [0, 2, 4])
        #expect(try LisaStore(path: shard[1].path).evalDocuments(runId: 1).map(\.ordinal) == [1, 3])

        let (out, _) = try lisaOK(["merge", shard[0].path, shard[1].path, "--into", all.path])
        let r = try JSONDecoder().decode(TaskResult.self, from: Data(contentsOf: json))
        #expect(
            out.contains(
                String(format: "acc_norm = %.4f ± %.4f", r.metrics["acc_norm"]!, r.standardErrors["acc_norm"]!)))
        let a = try LisaStore(path: full.path), b = try LisaStore(path: all.path)
        let ra = try #require(try a.evalRuns().first), rb = try #require(try b.evalRuns().first)
        #expect(try evalFingerprint(rb, b) == evalFingerprint(ra, a))
        #expect(try JSONDecoder().decode([String: Double].self, from: Data(rb.metrics.utf8)) == r.metrics)
        #expect(rb.n == 5 && rb.status == .finished)

        // A study shard and an eval shard are not parts of one run.
        let s0 = dir.appendingPathComponent("s0.sqlite")
        try lisaOK(studyArgs(s0, reports: dir.appendingPathComponent("r"), ["--shard", "1/2"]))
        let (_, mismatch) = try lisaOK(
            ["merge", shard[0].path, s0.path, "--into", dir.appendingPathComponent("x.sqlite").path],
            fails: true)
        #expect(mismatch.contains("has kind study, but the shard in \(shard[0].path) has eval"))
    }

    @Test(.needsGemma) func shardedSensitivityMergesToTheUnshardedSweep() throws {
        let dir = try TestPaths.tempDir("shards-sens")
        func args(_ db: URL, _ extra: [String] = []) -> [String] {
            [
                "sensitivity", TestPaths.gemma, "--task", "piqa", "--limit", "2", "--data", TestPaths.data.path,
                "--threads", "1",
                "--db", db.path, "--reports", dir.appendingPathComponent("r").path,
            ] + extra
        }
        let full = dir.appendingPathComponent("full.sqlite"), all = dir.appendingPathComponent("all.sqlite")
        let shard = (0..<3).map { dir.appendingPathComponent("c\($0).sqlite") }
        let (table, _) = try lisaOK(args(full))
        for i in 0..<3 { try lisaOK(args(shard[i], ["--shard", "\(i)/3"])) }
        // 17 configurations (baseline, DS and uniform on 8 pairs) dealt out 6, 6, 5.
        #expect(try shard.map { try LisaStore(path: $0.path).evalRuns().count } == [6, 6, 5])
        try lisaOK(["merge", shard[2].path, shard[0].path, shard[1].path, "--into", all.path])
        let a = try LisaStore(path: full.path), b = try LisaStore(path: all.path)
        let ua = try a.evalRuns(), ub = try b.evalRuns()
        #expect(ub.map { $0.unit ?? "" } == ua.map { $0.unit ?? "" })
        #expect(try ub.map { try evalFingerprint($0, b) } == ua.map { try evalFingerprint($0, a) })
        let sa = try #require(try storedSweeps(store: a, runId: 1)["piqa"]),
            sb = try #require(try storedSweeps(store: b, runId: 1)["piqa"])
        #expect(
            sb.pairs == sa.pairs && sb.baseline == sa.baseline && sb.baselineStandardError == sa.baselineStandardError)
        #expect(sb.n == 2 && sb.nLayers == 18 && sb.pairs.count == 8)
        // The command on the merged database prints the same table (but for the timing in its first line).
        let (again, _) = try lisaOK(args(all, ["--resume"]))
        #expect(again.split(separator: "\n").dropFirst() == table.split(separator: "\n").dropFirst())
    }
}
