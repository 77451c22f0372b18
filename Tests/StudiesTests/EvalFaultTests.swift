import Foundation
import Store
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

// Faults around `lisa eval --db` (issue 15, item 8): two processes writing one database, a SIGKILL at a random
// point then --resume, and a full disk (a file-size limit) while the result file is written.
// Real model (Gemma 3 270M), PIQA and BoolQ validation.

@Suite(.serialized) struct EvalFaultTests {
    func evalArgs(_ db: URL, task: String = "piqa", limit: Int, _ extra: [String] = []) -> [String] {
        [
            "eval", TestPaths.gemma, "--task", task, "--limit", String(limit), "--data", TestPaths.data.path, "--db",
            db.path,
            "--threads", "1",
        ] + extra
    }

    @Test(.needsGemma) func twoProcessesWritingOneDatabaseLoseNothing() throws {
        let dir = try TestPaths.tempDir("eval-two"); defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("shared.sqlite")
        for r in try LisaBinary.runTogether(["piqa", "boolq"].map { evalArgs(db, task: $0, limit: 6) }) {
            #expect(r.status == 0, "\(r.stderr)")
        }
        let store = try LisaStore(path: db.path)
        let runs = try store.evalRuns()
        #expect(Set(runs.map(\.task)) == ["piqa", "boolq"])
        for r in runs {
            #expect(r.status == .finished && r.n == 6, "\(r.task)")
            #expect(try store.evalDocuments(runId: r.id!).map(\.ordinal) == Array(0..<6), "\(r.task)")
        }
        #expect(try store.integrityCheck() == "ok")
        #expect(try store.journalMode() == "wal")
    }

    @Test(.needsGemma) func killedAtARandomPointResumesToTheSameAggregate() throws {
        let dir = try TestPaths.tempDir("eval-kill"); defer { try? FileManager.default.removeItem(at: dir) }
        let full = dir.appendingPathComponent("full.sqlite"), killed = dir.appendingPathComponent("killed.sqlite")
        let n = 10
        #expect(try LisaBinary.run(evalArgs(full, limit: n)).status == 0)

        let killAfter = Int.random(in: 1...(n - 2))  // documents stored before the kill (printed on failure)
        let p = try LisaBinary.start(evalArgs(killed, limit: n))
        var stored = 0
        let deadline = Date().addingTimeInterval(300)
        while Date() < deadline, p.isRunning {
            usleep(20_000)
            if FileManager.default.fileExists(atPath: killed.path), let s = try? LisaStore(path: killed.path),
                let run = try? s.evalRuns().first, let k = try? s.evalDocuments(runId: run.id!).count, k >= killAfter
            {
                stored = k; break
            }
        }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        #expect(p.terminationReason == .uncaughtSignal, "the run ended before the kill (after \(killAfter) documents)")
        #expect(stored >= killAfter && stored < n, "killed after \(stored) of \(n) documents (aimed at \(killAfter))")

        let r = try LisaBinary.run(evalArgs(killed, limit: n, ["--resume"]))
        #expect(r.status == 0, "\(r.stderr.suffix(400))")
        let a = try #require(try LisaStore(path: full.path).evalRuns().first)
        let store = try LisaStore(path: killed.path)
        let runs = try store.evalRuns()
        #expect(runs.count == 1)
        let b = try #require(runs.first)
        #expect(b.status == .finished && b.n == n)
        #expect(b.metrics == a.metrics, "killed after \(stored) documents")
        #expect(b.stderr == a.stderr)
        #expect(try store.evalDocuments(runId: b.id!).map(\.ordinal) == Array(0..<n))
        #expect(try store.integrityCheck() == "ok")
    }

    @Test(.needsGemma) func fullDiskWhileWritingTheResultLeavesThePreviousFile() throws {
        let dir = try TestPaths.tempDir("eval-full"); defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("result.json")
        let previous = Data("{\"previous\": true}\n".utf8)
        try previous.write(to: out)
        let args = [
            "eval", TestPaths.gemma, "--task", "piqa", "--limit", "3", "--data", TestPaths.data.path, "--out", out.path,
        ]
        let r = try LisaBinary.run(args, fileSizeLimitKB: 1)  // the result (per-document scores) is several KB
        #expect(r.status != 0)
        #expect(
            r.stderr.contains("\(out.path): cannot write the file: File too large; the previous file is unchanged."),
            "\(r.stderr.suffix(400))")
        #expect(try Data(contentsOf: out) == previous)
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["result.json"],
            "a temporary file was left")
    }
}
