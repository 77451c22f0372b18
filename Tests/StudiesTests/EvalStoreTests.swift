import Foundation
import Store
import Studies
import Evaluation
import Testing
import TestSupport

// `lisa eval --db`: the stored rows are the JSON result, a stopped run resumes to the same aggregate,
// and a bad database path is a clear error. Real model (Gemma 3 270M), PIQA validation, 4 documents.

@Suite(.serialized) struct EvalStoreTests {
    func evalArgs(_ db: URL, _ extra: [String] = []) -> [String] {
        ["eval", TestPaths.gemma, "--task", "piqa", "--limit", "4", "--data", TestPaths.data.path, "--db", db.path]
            + extra
    }

    /// Runs lisa, returning (status, stderr).
    func lisa(_ args: [String]) throws -> (Int32, String) {
        let r = try LisaBinary.run(args)
        return (r.status, r.stderr)
    }

    @Test(.needsGemma) func storedRowsEqualTheJSONResultAndResumeGivesTheSameAggregate() throws {
        let dir = try TestPaths.tempDir("evaldb")
        let full = dir.appendingPathComponent("full.sqlite"), json = dir.appendingPathComponent("full.json")
        #expect(try lisa(evalArgs(full, ["--out", json.path])).0 == 0)
        let r = try JSONDecoder().decode(TaskResult.self, from: Data(contentsOf: json))
        let store = try LisaStore(path: full.path)
        let runs = try store.evalRuns()
        #expect(runs.count == 1)
        let run = try #require(runs.first)
        #expect(run.status == .finished && run.task == "piqa" && run.shots == 0 && run.docLimit == 4 && run.n == 4)
        #expect(try JSONDecoder().decode([String: Double].self, from: Data(run.metrics.utf8)) == r.metrics)
        #expect(try JSONDecoder().decode([String: Double].self, from: Data(run.stderr.utf8)) == r.standardErrors)
        #expect(run.tokens == r.tokensRun)
        let docs = try store.evalDocuments(runId: run.id!)
        #expect(try docs.map { try documentResult($0) } == r.documents.map(\.asStored))
        #expect(docs.map(\.ordinal) == [0, 1, 2, 3])

        // Stop after 2 documents, then resume: 2 more are scored and the aggregate equals the full run's.
        let part = dir.appendingPathComponent("part.sqlite")
        let (stopped, msg) = try lisa(evalArgs(part, ["--stop-after", "2"]))
        #expect(stopped != 0)
        #expect(
            msg.contains(
                "Stopped after 2 new documents as asked (--stop-after); continue with --resume on \(part.path)."))
        let ps = try LisaStore(path: part.path)
        let partRun = try #require(try ps.evalRuns().first)
        #expect(partRun.status == .running)
        #expect(try ps.evalDocuments(runId: partRun.id!).count == 2)
        let (status, log) = try lisa(evalArgs(part, ["--resume"]))
        #expect(status == 0)
        #expect(log.contains("resumed evaluation run \(partRun.id!): 2 of 4 documents were stored"))
        let resumed = try ps.evalRuns()
        #expect(resumed.count == 1)
        #expect(resumed[0].status == .finished)
        #expect(resumed[0].metrics == run.metrics)
        #expect(resumed[0].stderr == run.stderr)
        // Per document: the same gold, prediction and scores; log-likelihoods agree to 1e-5 relative, not bit for
        // bit, because ContextScorer reuses the cached prefix of the previous document (BOS, shared context), and a
        // fresh process after the stop starts with an empty cache, so float32 sums run in other chunks.
        let again = try ps.evalDocuments(runId: partRun.id!).map { try documentResult($0) }
        #expect(again.count == r.documents.count)
        for (a, b) in zip(again, r.documents) {
            #expect(a.index == b.index && a.gold == b.gold && a.prediction == b.prediction && a.scores == b.scores)
            #expect(a.logLikelihoods?.count == b.logLikelihoods?.count, "doc \(a.index): log-likelihood counts differ")
            for (x, y) in zip(a.logLikelihoods ?? [], b.logLikelihoods ?? []) {
                #expect(abs(x - y) <= 1e-5 * abs(y), "doc \(a.index)")
            }
        }
        #expect(try ps.integrityCheck() == "ok")
    }

    @Test(.needsGemma) func badDatabasePathIsAClearError() throws {
        let dir = try TestPaths.tempDir("evaldb-bad")
        let notDB = dir.appendingPathComponent("notes.sqlite")
        try Data("these are notes, not a database\n".utf8).write(to: notDB)
        let (status, err) = try lisa(evalArgs(notDB))
        #expect(status == 1)  // an error exit, not a signal
        #expect(err.contains("--db: The study database \(notDB.path) cannot be opened"))
        let (s2, e2) = try lisa(evalArgs(dir))
        #expect(s2 == 1)
        #expect(e2.contains("--db: The study database \(dir.path) cannot be opened"))
        let (s3, e3) = try lisa(["eval", TestPaths.gemma, "--task", "piqa", "--resume"])
        #expect(s3 != 0)
        #expect(e3.contains("--resume needs --db FILE"))
    }
}
