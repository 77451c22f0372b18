import Foundation
import Store
import Studies
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

// `lisa slurm`: the scripts it writes, and end to end on a one-node Slurm cluster started on this machine
// (scripts/slurm-local: munged, slurmctld and slurmd with a temporary slurm.conf) — a 2-shard tiny study as a
// job array and a dependent merge job, compared with the unsharded run.

enum LocalSlurm {
    static let binaries = [
        "/usr/sbin/munged", "/usr/sbin/slurmctld", "/usr/sbin/slurmd", "/usr/bin/sbatch", "/usr/bin/scontrol",
    ]

    /// Why the end-to-end test cannot run here, or nil when it can.
    static var absent: String? {
        let missing = binaries.filter { !FileManager.default.isExecutableFile(atPath: $0) }
        if !missing.isEmpty {
            return
                "Slurm is not installed "
                + "(\(missing.map { URL(fileURLWithPath: $0).lastPathComponent }.joined(separator: ", ")) "
                + "missing): "
                + "scripts/test installs slurm-wlm and munge when run as root or with CI=true"
        }
        if getuid() != 0 { return "the one-node Slurm cluster's daemons run as root; run the tests as root" }
        return nil
    }

    /// Runs scripts/slurm-local; its output goes to a file, not a pipe (the daemons it starts outlive it).
    static func script(_ args: [String]) throws -> (status: Int32, output: String) {
        let log = try TestPaths.tempDir("slurm-local").appendingPathComponent("out.txt")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let h = try FileHandle(forWritingTo: log)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = [TestPaths.repoRoot.appendingPathComponent("scripts/slurm-local").path] + args
        p.standardOutput = h; p.standardError = h
        try p.run()
        p.waitUntilExit()
        try h.close()
        return (p.terminationStatus, (try? String(contentsOf: log, encoding: .utf8)) ?? "")
    }

    /// `scontrol show job ID`'s JobState (e.g. PENDING, RUNNING, COMPLETED, FAILED) for each job or array task.
    static func states(_ job: String, conf: String) throws -> [String] {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/scontrol")
        p.arguments = ["show", "job", job]
        p.environment = ProcessInfo.processInfo.environment.merging(["SLURM_CONF": conf]) { $1 }
        let out = Pipe()
        p.standardOutput = out; p.standardError = FileHandle.nullDevice
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return text.components(separatedBy: .whitespacesAndNewlines).filter { $0.hasPrefix("JobState=") }.map {
            String($0.dropFirst(9))
        }
    }
}

@Suite(.serialized) struct SlurmTests {
    @Test func scriptsHoldTheArrayTheShardCommandAndTheDependentMerge() throws {
        let job = try SlurmJob.study(
            file: "studies/tiny.yaml", arguments: ["studies/tiny.yaml", "models/my model.gguf"],
            reportsDir: "reports",
            settings: SlurmJob.Settings(
                shards: 3, dir: "slurm/x", into: nil, executable: "/opt/lisa/bin/lisa", workdir: "/work/proj",
                partition: "cpu", time: "1:00:00", cpus: 4, sbatchOptions: ["--account=proj"]))
        #expect(job.dir == "/work/proj/slurm/x" && job.into == "/work/proj/slurm/x/merged.sqlite")
        let array = job.arrayText.split(separator: "\n").map(String.init)
        for line in [
            "#SBATCH --array=0-2", "#SBATCH --partition=cpu", "#SBATCH --time=1:00:00", "#SBATCH --cpus-per-task=4",
            "#SBATCH --account=proj", "#SBATCH --chdir=/work/proj",
            "#SBATCH --output=/work/proj/slurm/x/logs/shard-%a.out",
            "exec /opt/lisa/bin/lisa study run studies/tiny.yaml 'models/my model.gguf' --threads 4 --shard \"$i/3\" "
                + "--db /work/proj/slurm/x/shard-\"$i\".sqlite --resume",
        ] {
            #expect(array.contains(line), "array.sbatch lacks: \(line)")
        }
        let merge = job.mergeText.split(separator: "\n").map(String.init)
        #expect(
            merge.contains(
                "/opt/lisa/bin/lisa merge /work/proj/slurm/x/shard-0.sqlite /work/proj/slurm/x/shard-1.sqlite "
                    + "/work/proj/slurm/x/shard-2.sqlite --into /work/proj/slurm/x/merged.sqlite"))
        #expect(
            merge.contains(
                "/opt/lisa/bin/lisa report --study tiny --file studies/tiny.yaml --db "
                    + "/work/proj/slurm/x/merged.sqlite --reports reports"
            ))
        #expect(merge.contains("#SBATCH --kill-on-invalid-dep=yes"))
        #expect(
            job.submitText.contains("sbatch --parsable --dependency=afterok:$array /work/proj/slurm/x/merge.sbatch"))
        // The eval's --out belongs to the step after the merge, not to the shards.
        let eval = try SlurmJob.eval(
            task: "piqa", arguments: ["m.gguf", "--task", "piqa", "--out", "r.json"],
            settings: SlurmJob.Settings(
                shards: 2, dir: nil, into: "all.sqlite", executable: "lisa", workdir: "/w", partition: nil, time: nil,
                cpus: nil, sbatchOptions: []))
        #expect(eval.shardCommand == ["eval", "m.gguf", "--task", "piqa"])
        #expect(eval.mergeText.contains("/w/lisa eval m.gguf --task piqa --out r.json --db /w/all.sqlite --resume"))
        #expect(!eval.arrayText.contains("#SBATCH --partition"))
        #expect(throws: SlurmError.self) {
            try SlurmJob.eval(
                task: "piqa", arguments: ["m.gguf", "--task", "piqa", "--db", "x"], settings: eval.settingsForTest)
        }
    }

    @Test(.needsGemma) func badInnerArgumentsAreTheInnerCommandsErrors() throws {
        let dir = try TestPaths.tempDir("slurm-bad")
        let (_, e1) = try lisaOK(["slurm", "eval", TestPaths.gemma, "--shards", "2", "--dir", dir.path], fails: true)
        #expect(e1.contains("lisa eval: ") && e1.contains("--task"))
        let (_, e2) = try lisaOK(
            ["slurm", "study", "studies/tiny.yaml", "--db", "x.sqlite", "--shards", "2", "--dir", dir.path], fails: true
        )
        #expect(e2.contains("--db cannot be given to lisa slurm"))
        let (_, e3) = try lisaOK(["slurm", "study", "studies/tiny.yaml", "--shards", "0"], fails: true)
        #expect(e3.contains("--shards must be at least 1"))
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("array.sbatch").path))
    }

    @Test(
        .enabled(
            if: TestPaths.hasGemma && LocalSlurm.absent == nil,
            Comment(rawValue: LocalSlurm.absent ?? TestPaths.gemmaAbsent)))
    func twoShardTinyStudyOnALocalClusterEqualsTheUnshardedRun() throws {
        let dir = try TestPaths.tempDir("slurm")
        let cluster = dir.appendingPathComponent("cluster")
        let started = try LocalSlurm.script(["start", cluster.path])
        defer { _ = try? LocalSlurm.script(["stop", cluster.path]) }
        try #require(started.status == 0, "scripts/slurm-local start: \(started.output)")
        let conf = cluster.appendingPathComponent("slurm.conf").path
        let env: [String: String?] = ["SLURM_CONF": conf]

        let full = dir.appendingPathComponent("full.sqlite"), merged = dir.appendingPathComponent("merged.sqlite")
        let reports = dir.appendingPathComponent("reports")
        try lisaOK(studyArgs(full, reports: dir.appendingPathComponent("r-full")))
        let (out, _) = try lisaOK(
            [
                "slurm", "study", "studies/tiny.yaml", TestPaths.gemma, "--data", TestPaths.data.path,
                "--reports", reports.path, "--shards", "2", "--cpus", "1", "--dir",
                dir.appendingPathComponent("job").path,
                "--into", merged.path, "--submit",
            ], environment: env)
        let words = out.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
        let arrayJob = try #require(words.firstIndex(of: "array").map { words[$0 + 2] }, "no array job id in: \(out)")
        let mergeJob = try #require(words.firstIndex(of: "merge").map { words[$0 + 2] }, "no merge job id in: \(out)")

        // Wait for the array's tasks and the merge job (model loads and 3 samples per task: seconds when idle).
        let deadline = Date().addingTimeInterval(600)
        var states: [String] = []
        while Date() < deadline {
            states = try LocalSlurm.states(arrayJob, conf: conf) + LocalSlurm.states(mergeJob, conf: conf)
            if states.count == 3,
                states.allSatisfy({ ["COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL"].contains($0) })
            {
                break
            }
            usleep(500_000)
        }
        let logs = dir.appendingPathComponent("job/logs")
        let logText = ((try? FileManager.default.contentsOfDirectory(atPath: logs.path)) ?? []).sorted()
            .map { "\($0):\n" + ((try? String(contentsOf: logs.appendingPathComponent($0), encoding: .utf8)) ?? "") }
            .joined(separator: "\n")
        #expect(states == ["COMPLETED", "COMPLETED", "COMPLETED"], "job states \(states); logs:\n\(logText)")
        #expect(logText.contains("merged 2 shards of study tiny (6 work units)"))

        #expect(
            try CaptureFingerprint(db: merged.path, study: "tiny") == CaptureFingerprint(db: full.path, study: "tiny"))
        let r1 = dir.appendingPathComponent("r1")
        try lisaOK([
            "report", "--study", "tiny", "--file", "studies/tiny.yaml", "--db", full.path, "--reports", r1.path,
        ])
        #expect(try reportText(reports, "tiny") == reportText(r1, "tiny"))  // drawn by the merge job
    }
}

extension SlurmJob {
    var settingsForTest: SlurmJob.Settings {
        SlurmJob.Settings(
            shards: shards, dir: dir, into: into, executable: executable, workdir: workdir, partition: nil, time: nil,
            cpus: nil, sbatchOptions: [])
    }
}
