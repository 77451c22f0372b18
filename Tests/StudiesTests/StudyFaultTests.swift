import Foundation
import Store
import Testing
import TestSupport

// Faults around `lisa study run` and `lisa report` (issue 15, item 8): a study and an evaluation writing one
// database at the same time, and a full disk (a file-size limit) while a report's figures are written.
// Real model (Gemma 3 270M), the tiny study (PIQA × 6).

@Suite(.serialized) struct StudyFaultTests {
    func studyArgs(_ db: URL, reports: URL) -> [String] {
        [
            "study", "run", "studies/tiny.yaml", TestPaths.gemma, "--db", db.path, "--data", TestPaths.data.path,
            "--reports", reports.path, "--threads", "1",
        ]
    }

    @Test(.needsGemma) func studyAndEvalWritingOneDatabaseLoseNothing() throws {
        let dir = try TestPaths.tempDir("study-eval"); defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("shared.sqlite")
        let evalArgs = [
            "eval", TestPaths.gemma, "--task", "boolq", "--limit", "6", "--data", TestPaths.data.path,
            "--db", db.path, "--threads", "1",
        ]
        for r in try LisaBinary.runTogether([studyArgs(db, reports: dir.appendingPathComponent("reports")), evalArgs]) {
            #expect(r.status == 0, "\(r.stderr)")
        }
        let store = try LisaStore(path: db.path)
        let study = try #require(try store.latestFinishedRun(study: "tiny"))
        #expect(try store.count("runSamples") == 6)
        #expect(try store.count("attentionRows") == 6 * 18 * 4)  // samples × layers × heads (Gemma 3 270M)
        #expect(try store.results(runId: study.id!).contains { $0.kind == "s1" })
        let evals = try store.evalRuns()
        #expect(evals.count == 1)
        let e = try #require(evals.first)
        #expect(e.task == "boolq" && e.status == .finished && e.n == 6)
        #expect(try store.evalDocuments(runId: e.id!).map(\.ordinal) == Array(0..<6))
        #expect(try store.integrityCheck() == "ok")
        #expect(try store.journalMode() == "wal")
    }

    @Test(.needsGemma) func fullDiskWhileWritingAReportLeavesThePreviousFiles() throws {
        let dir = try TestPaths.tempDir("report-full"); defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("a.sqlite"), reports = dir.appendingPathComponent("reports")
        let first = try LisaBinary.run(studyArgs(db, reports: reports))
        #expect(first.status == 0, "\(first.stderr.suffix(400))")
        let folder = reports.appendingPathComponent("tiny")
        let png = folder.appendingPathComponent("tiny-s1.png"), md = folder.appendingPathComponent("report.md")
        let previousPNG = try Data(contentsOf: png)
        let previousMD = Data("previous report\n".utf8)
        try previousMD.write(to: md)
        #expect(previousPNG.count > 48 * 1024, "the S1 heatmap is \(previousPNG.count) bytes, not over the limit below")

        // 40 KiB: above SQLite's 32 KiB shared-memory file (the database opens), below the heatmap's PNG.
        let r = try LisaBinary.run(
            [
                "report", "--study", "tiny", "--file", "studies/tiny.yaml", "--db", db.path,
                "--reports", reports.path,
            ], fileSizeLimitKB: 40)
        #expect(r.status != 0)
        #expect(r.stderr.contains("tiny-s1.png: gnuplot wrote an incomplete image"), "\(r.stderr.suffix(400))")
        #expect(r.stderr.contains("the published figure is unchanged"))
        #expect(try Data(contentsOf: png) == previousPNG)
        #expect(try Data(contentsOf: md) == previousMD)
        let left = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix(".") }
        #expect(left.isEmpty, "temporary files were left: \(left)")

        // Without the limit the same command redraws both.
        #expect(
            try LisaBinary.run([
                "report", "--study", "tiny", "--file", "studies/tiny.yaml", "--db", db.path,
                "--reports", reports.path,
            ]).status == 0)
        #expect(try String(contentsOf: md, encoding: .utf8).contains("| piqa | 6 |"))
    }
}
