import Foundation
import GRDB
import Store
import Studies
import Testing
import TestSupport

// `lisa eval --reuse-from OTHER.sqlite`: a run takes the documents another database scored for a run equal to it
// but for --limit (a --limit k sample is the first k documents of any larger run), copies them unchanged, scores
// only the rest, and leaves the other file as it was. Real model (Gemma 3 270M), PIQA validation, ≤ 8 documents.

@Suite(.serialized) struct ReuseFromTests {
    func evalArgs(_ db: URL, limit: Int, _ extra: [String] = []) -> [String] {
        ["eval", TestPaths.gemma, "--task", "piqa", "--limit", "\(limit)", "--data", TestPaths.data.path, "--db", db.path]
            + extra
    }

    func onlyRun(_ path: URL) throws -> (EvalRunRecord, [EvalDocumentRecord]) {
        let store = try LisaStore(path: path.path)
        let runs = try store.evalRuns()
        #expect(runs.count == 1)
        let run = try #require(runs.first)
        return (run, try store.evalDocuments(runId: run.id!))
    }

    /// The stored result of a document, without what belongs to its run (run id, ordinal).
    func same(_ a: EvalDocumentRecord, _ b: EvalDocumentRecord) -> Bool {
        a.docIndex == b.docIndex && a.logLikelihoods == b.logLikelihoods && a.gold == b.gold
            && a.prediction == b.prediction && a.scores == b.scores && a.seconds == b.seconds && a.tokens == b.tokens
    }

    @Test(.needsGemma) func aSmallerRunCopiesTheLargerRunsDocumentsAndALargerOneScoresOnlyTheRest() throws {
        let dir = try TestPaths.tempDir("reuse-from")
        let big = dir.appendingPathComponent("big.sqlite")
        #expect(try LisaBinary.run(evalArgs(big, limit: 6)).status == 0)
        let (_, bigDocs) = try onlyRun(big)
        #expect(bigDocs.count == 6)
        let bigBytes = try Data(contentsOf: big)

        // --limit 4: the first 4 documents of the 6, copied (nothing scored), in the same order.
        let small = dir.appendingPathComponent("small.sqlite")
        let r4 = try LisaBinary.run(evalArgs(small, limit: 4, ["--reuse-from", big.path]))
        #expect(r4.status == 0, "\(r4.stderr)")
        #expect(r4.stderr.contains("4 documents copied from \(big.path)"))
        let (run4, docs4) = try onlyRun(small)
        #expect(run4.status == .finished && run4.n == 4 && run4.docLimit == 4)
        #expect(docs4.map(\.ordinal) == [0, 1, 2, 3])
        #expect(zip(docs4, bigDocs.prefix(4)).allSatisfy(same))
        // its aggregate is the mean over those 4 documents (acc_norm per document is 0 or 1)
        let accNorm = try docs4.map { try JSONDecoder().decode([String: Double].self, from: Data($0.scores.utf8)) }
            .map { $0["acc_norm"]! }
        let metrics = try JSONDecoder().decode([String: Double].self, from: Data(run4.metrics.utf8))
        #expect(abs(metrics["acc_norm"]! - accNorm.reduce(0, +) / 4) < 1e-12)
        #expect(try Data(contentsOf: big) == bigBytes, "the database read from must not change")

        // --limit 8: the 6 copied, 2 scored; the 6 are the larger run's first 6 documents.
        let more = dir.appendingPathComponent("more.sqlite")
        let r8 = try LisaBinary.run(evalArgs(more, limit: 8, ["--reuse-from", big.path]))
        #expect(r8.status == 0, "\(r8.stderr)")
        #expect(r8.stderr.contains("6 documents copied"))
        let (run8, docs8) = try onlyRun(more)
        #expect(run8.status == .finished && docs8.count == 8 && docs8.map(\.ordinal) == Array(0..<8))
        #expect(zip(docs8.prefix(6), bigDocs).allSatisfy(same))

        // Other parameters (DS on one layer): nothing is copied.
        let ds = dir.appendingPathComponent("ds.sqlite")
        let rds = try LisaBinary.run(evalArgs(ds, limit: 1, ["--policies", "ds:5", "--reuse-from", big.path]))
        #expect(rds.status == 0, "\(rds.stderr)")
        #expect(rds.stderr.contains("0 documents copied"))

        // A stored gold that the data file no longer gives (a replaced data file): that document is scored again.
        let edited = dir.appendingPathComponent("edited.sqlite")
        try FileManager.default.copyItem(at: big, to: edited)
        let q = try DatabaseQueue(path: edited.path)
        try q.write { try $0.execute(sql: "UPDATE evalDocuments SET gold = 1 - gold WHERE ordinal = 1") }
        try q.close()
        let fixed = dir.appendingPathComponent("fixed.sqlite")
        let rf = try LisaBinary.run(evalArgs(fixed, limit: 2, ["--reuse-from", edited.path]))
        #expect(rf.status == 0, "\(rf.stderr)")
        #expect(rf.stderr.contains("1 document copied"))
        let (_, docsF) = try onlyRun(fixed)
        #expect(docsF.count == 2 && docsF[1].gold == bigDocs[1].gold)
    }

    @Test(.needsGemma) func aMissingOrDamagedSourceIsAClearError() throws {
        let dir = try TestPaths.tempDir("reuse-from-bad")
        let db = dir.appendingPathComponent("run.sqlite")
        let missing = dir.appendingPathComponent("none.sqlite")
        let r1 = try LisaBinary.run(evalArgs(db, limit: 1, ["--reuse-from", missing.path]))
        #expect(r1.status != 0)
        #expect(r1.stderr.contains("--reuse-from \(missing.path): no such database file."))
        let notes = dir.appendingPathComponent("notes.sqlite")
        try Data("these are notes, not a database\n".utf8).write(to: notes)
        let r2 = try LisaBinary.run(evalArgs(db, limit: 1, ["--reuse-from", notes.path]))
        #expect(r2.status == 1)
        #expect(r2.stderr.contains("The study database \(notes.path)"), "\(r2.stderr)")
        let r3 = try LisaBinary.run(["eval", TestPaths.gemma, "--task", "piqa", "--reuse-from", notes.path])
        #expect(r3.status != 0)
        #expect(r3.stderr.contains("--reuse-from needs --db FILE"))
    }
}
