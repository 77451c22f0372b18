import Foundation
import Store
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

// Starts the built `lisa` binary on a tiny study, SIGKILLs it part-way, resumes, and checks that the
// numbers equal an uninterrupted run's, with no duplicate rows and a sound database.

@Suite(.serialized) struct ResumeTests {
    func args(_ db: URL, _ extra: [String] = []) -> [String] {
        [
            "study", "run", "studies/tiny.yaml", TestPaths.gemma, "--db", db.path,
            "--data", TestPaths.data.path, "--reports",
            db.deletingLastPathComponent().appendingPathComponent("reports").path,
        ] + extra
    }

    /// (task, kind, sampleId, value) of every result, sorted: the run's numbers.
    func numbers(_ db: URL) throws -> [String] {
        let s = try LisaStore(path: db.path)
        let run = try #require(try s.latestFinishedRun(study: "tiny"))
        return try s.results(runId: run.id!).map { "\($0.task)/\($0.kind)/\($0.sampleId): \($0.value)" }
    }

    @Test(.needsGemma) func killedRunResumesToIdenticalNumbers() throws {
        let dir = try TestPaths.tempDir("resume")
        let full = dir.appendingPathComponent("full.sqlite"), killed = dir.appendingPathComponent("killed.sqlite")
        #expect(try LisaBinary.run(args(full)).status == 0)

        let p = try LisaBinary.start(args(killed, ["--throttle-ms", "500"]))
        var captured = 0
        let deadline = Date().addingTimeInterval(300)  // model loading is slow when the cores are shared
        while Date() < deadline {
            usleep(50_000)
            if FileManager.default.fileExists(atPath: killed.path),
                let n = try? LisaStore(path: killed.path).count("runSamples"), n >= 2
            {
                captured = n; break
            }
        }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        #expect(p.terminationReason == .uncaughtSignal)
        #expect(captured >= 2 && captured < 6, "killed after \(captured) of 6 samples")

        // Without --resume an interrupted run is an error and nothing changes.
        #expect(try LisaBinary.run(args(killed)).status != 0)
        #expect(try LisaBinary.run(args(killed, ["--resume"])).status == 0)

        let store = try LisaStore(path: killed.path)
        #expect(try store.integrityCheck() == "ok")
        #expect(try store.count("runs") == 1)
        #expect(try store.count("runSamples") == 6)
        #expect(try store.count("attentionRows") == 6 * 18 * 4)
        #expect(try numbers(killed) == numbers(full))

        #expect(try store.count("results") == numbers(full).count)
        #expect(try numbers(killed).contains { $0.hasPrefix("piqa/cosine/") })

        // Re-running a finished study is a no-op.
        #expect(try LisaBinary.run(args(killed)).status == 0)
        #expect(try store.count("runs") == 1)
        #expect(try store.count("attentionRows") == 6 * 18 * 4)

        // `lisa report` redraws from the store alone.
        let reports = dir.appendingPathComponent("redrawn")
        #expect(
            try LisaBinary.run([
                "report", "--study", "tiny", "--file", "studies/tiny.yaml", "--db", killed.path,
                "--reports", reports.path,
            ]).status == 0)
        let md = try String(contentsOf: reports.appendingPathComponent("tiny/report.md"), encoding: .utf8)
        #expect(md.contains("| piqa | 6 |"))
        #expect(FileManager.default.fileExists(atPath: reports.appendingPathComponent("tiny/tiny-s1.png").path))
        #expect(try numbers(killed) == numbers(full))
    }
}
