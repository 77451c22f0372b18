import Basics
import Foundation
import Store

/// `lisa slurm`: a sharded run as a Slurm job array (one task per shard, each writing its own database) and a
/// merge job that starts when every task succeeded (`--dependency=afterok:`), merges the shards and runs the
/// command that prints or draws the result. Scripts are plain sbatch files, kept in `dir` beside the shard
/// databases and the logs, so they can be read, edited and resubmitted by hand.
public struct SlurmJob {
    public var name: String
    public var shards: Int
    /// The lisa command of one shard without --shard, --db and --resume (added per task), e.g. ["study", "run",
    /// "f.yaml"].
    public var shardCommand: [String]
    /// lisa commands run after the merge (e.g. `report`); "{into}" stands for the merged database.
    public var finishCommands: [[String]]
    /// Folder of the scripts, shard databases and logs (absolute: tasks run with --chdir=workdir).
    public var dir: String
    /// The merged database.
    public var into: String
    /// The lisa executable the jobs run (on a cluster: a path every node sees).
    public var executable: String
    /// Where the jobs run (`#SBATCH --chdir`), so relative paths in the command mean what they meant here.
    public var workdir: String
    public var partition: String?
    public var time: String?
    public var cpus: Int?
    /// Further `#SBATCH` options, e.g. --account=proj or --mem=8G.
    public var sbatchOptions: [String]

    public init(
        name: String, shards: Int, shardCommand: [String], finishCommands: [[String]], dir: String, into: String,
        executable: String, workdir: String, partition: String? = nil, time: String? = nil, cpus: Int? = nil,
        sbatchOptions: [String] = []
    ) {
        self.name = name; self.shards = shards; self.shardCommand = shardCommand; self.finishCommands = finishCommands
        self.dir = dir; self.into = into; self.executable = executable; self.workdir = workdir
        self.partition = partition; self.time = time; self.cpus = cpus; self.sbatchOptions = sbatchOptions
    }

    public var arrayScript: String { dir + "/array.sbatch" }
    public var mergeScript: String { dir + "/merge.sbatch" }
    public var submitScript: String { dir + "/submit.sh" }
    public func shardDatabase(_ i: Int) -> String { dir + "/shard-\(i).sqlite" }

    /// The `#SBATCH` lines both jobs share.
    private func common(_ jobName: String, output: String) -> [String] {
        var l = ["#SBATCH --job-name=\(jobName)", "#SBATCH --chdir=\(workdir)", "#SBATCH --output=\(output)"]
        if let partition { l.append("#SBATCH --partition=\(partition)") }
        if let time { l.append("#SBATCH --time=\(time)") }
        if let cpus { l.append("#SBATCH --cpus-per-task=\(cpus)") }
        return l + sbatchOptions.map { "#SBATCH \($0)" }
    }

    /// array.sbatch: task I runs shard I/N into shard-I.sqlite; --resume makes a re-run continue where it stopped.
    public var arrayText: String {
        let n = shards
        return
            ([
                "#!/bin/bash",
                "# \(name): \(n) shards of `lisa \(shardCommand.joined(separator: " "))` (written by lisa slurm).",
            ]
            + common(name, output: dir + "/logs/shard-%a.out")
            + [
                "#SBATCH --array=0-\(n - 1)", "set -euo pipefail",
                "i=$SLURM_ARRAY_TASK_ID",
                "exec " + shellWords([executable] + shardCommand) + " --shard \"$i/\(n)\" --db "
                    + shellWord(dir + "/shard-") + "\"$i\".sqlite --resume",
            ])
            .joined(separator: "\n") + "\n"
    }

    /// merge.sbatch: lisa merge over every shard's database (listed, so a missing one is an error), then the finish
    /// commands.
    public var mergeText: String {
        let merge = [executable, "merge"] + (0..<shards).map(shardDatabase) + ["--into", into]
        return
            (["#!/bin/bash", "# \(name): merges the \(shards) shard databases into \(into) (written by lisa slurm)."]
            + common(name + "-merge", output: dir + "/logs/merge.out")
            + ["#SBATCH --kill-on-invalid-dep=yes", "set -euo pipefail", shellWords(merge)]
            + finishCommands.map { shellWords([executable] + $0.map { $0 == "{into}" ? into : $0 }) })
            .joined(separator: "\n") + "\n"
    }

    /// submit.sh: the array, then the merge job after it (what `--submit` does).
    public var submitText: String {
        [
            "#!/bin/bash", "# Submits \(name): the array job, then the merge job once every task succeeded.",
            "set -euo pipefail",
            "array=$(sbatch --parsable " + shellWord(arrayScript) + ")", "array=${array%%;*}",
            "merge=$(sbatch --parsable --dependency=afterok:$array " + shellWord(mergeScript) + ")",
            "echo \"array job $array (\(shards) tasks), merge job ${merge%%;*}\"",
        ].joined(separator: "\n") + "\n"
    }

    /// Writes the three scripts and the logs folder; returns the scripts' paths.
    @discardableResult
    public func write() throws -> [String] {
        try FileManager.default.createDirectory(atPath: dir + "/logs", withIntermediateDirectories: true)
        for (path, text) in [(arrayScript, arrayText), (mergeScript, mergeText), (submitScript, submitText)] {
            try writeAtomically(Data(text.utf8), to: path)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        }
        return [arrayScript, mergeScript, submitScript]
    }

    /// Submits the written scripts with `sbatch` (found on PATH unless a path is given): the array job, then the
    /// merge job depending on it. Returns the two job ids.
    public func submit(sbatch: String = "sbatch") throws -> (array: String, merge: String) {
        let array = try runSbatch(sbatch, ["--parsable", arrayScript])
        let merge = try runSbatch(sbatch, ["--parsable", "--dependency=afterok:\(array)", mergeScript])
        return (array, merge)
    }

    private func runSbatch(_ sbatch: String, _ args: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [sbatch] + args
        let out = Pipe(), err = Pipe()
        p.standardOutput = out; p.standardError = err
        do { try p.run() } catch { throw SlurmError.cannotRun(sbatch, reason: "\(error)") }
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let text = String(decoding: o, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        // --parsable prints "jobid" or "jobid;cluster"
        let id = String(text.split(separator: ";").first ?? "")
        guard p.terminationStatus == 0, !id.isEmpty, id.allSatisfy(\.isNumber) else {
            let why = String(decoding: e, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw SlurmError.rejected(
                sbatch + " " + args.joined(separator: " "), status: p.terminationStatus,
                output: why.isEmpty ? text : why)
        }
        return id
    }
}

/// Slurm failures, each a sentence naming the command.
public enum SlurmError: Error, CustomStringConvertible, Equatable {
    case cannotRun(String, reason: String)
    case rejected(String, status: Int32, output: String)
    case reservedOption(String, why: String)

    public var description: String {
        switch self {
        case .cannotRun(let s, let r): return "\(s) cannot be started (\(r)); is Slurm installed here (sbatch on PATH)?"
        case .rejected(let c, let s, let o): return "`\(c)` failed (exit status \(s)): \(o)"
        case .reservedOption(let o, let why): return "\(o) cannot be given to lisa slurm: \(why)."
        }
    }
}

/// A word for bash: as is when it is plain, else single-quoted.
func shellWord(_ s: String) -> String {
    let plain = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%")
    if !s.isEmpty, s.unicodeScalars.allSatisfy(plain.contains) { return s }
    return "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
}

func shellWords(_ words: [String]) -> String { words.map(shellWord).joined(separator: " ") }

extension SlurmJob {
    /// What `lisa slurm` was given beside the inner command's own arguments.
    public struct Settings {
        public var shards: Int
        public var dir: String?
        public var into: String?
        public var executable: String
        public var workdir: String
        public var partition: String?
        public var time: String?
        public var cpus: Int?
        public var sbatchOptions: [String]
        public init(
            shards: Int, dir: String?, into: String?, executable: String, workdir: String, partition: String?,
            time: String?, cpus: Int?, sbatchOptions: [String]
        ) {
            self.shards = shards; self.dir = dir; self.into = into; self.executable = executable; self.workdir = workdir
            self.partition = partition; self.time = time; self.cpus = cpus; self.sbatchOptions = sbatchOptions
        }
    }

    /// Options lisa slurm sets itself in every task (or that would make the tasks collide).
    static let reserved = [
        "--db": "each shard writes its own database in --dir, merged into --into",
        "--shard": "each array task runs its own shard",
        "--resume": "every task runs with --resume, so a re-run continues",
        "--partial": "the shards' documents are in their databases",
        "--stop-after": "it is a test option",
    ]

    /// `lisa slurm study FILE …`: shards of `lisa study run`; after the merge, the report (`lisa report`, or for a
    /// sensitivity study `lisa study run` on the merged database, which redraws a finished run's report).
    public static func study(
        file: String, arguments: [String], reportsDir: String, settings: Settings
    ) throws -> SlurmJob {
        let sensitivity = studyKind(file) == .sensitivity
        let name = sensitivity ? try SensitivityStudySpec.load(file).name : try StudySpec.load(file).name
        let finish: [[String]] =
            sensitivity
            ? [["study", "run"] + arguments + ["--db", "{into}"]]
            : [["report", "--study", name, "--file", file, "--db", "{into}", "--reports", reportsDir]]
        return try make(
            name: name, command: ["study", "run"], arguments: arguments, finish: finish, settings: settings)
    }

    /// `lisa slurm eval MODEL --task T …`: shards of the documents; after the merge, `lisa eval … --db ALL --resume`
    /// prints the result (and writes --out) from the merged documents without scoring any.
    public static func eval(task: String, arguments: [String], settings: Settings) throws -> SlurmJob {
        try make(
            name: "eval-\(task)", command: ["eval"], arguments: arguments,
            finish: [["eval"] + arguments + ["--db", "{into}", "--resume"]], settings: settings)
    }

    /// `lisa slurm sensitivity MODEL --task T …`: shards of the configurations; after the merge, `lisa sensitivity
    /// … --db ALL --resume` prints the sweep (and writes --out) from the merged database.
    public static func sensitivity(task: String, arguments: [String], settings: Settings) throws -> SlurmJob {
        try make(
            name: "sensitivity-\(task)", command: ["sensitivity"], arguments: arguments,
            finish: [["sensitivity"] + arguments + ["--db", "{into}", "--resume"]], settings: settings)
    }

    static func make(
        name: String, command: [String], arguments: [String], finish: [[String]], settings s: Settings
    ) throws -> SlurmJob {
        for a in arguments {
            let key = String(a.split(separator: "=", maxSplits: 1).first ?? "")
            if let why = reserved[key] { throw SlurmError.reservedOption(key, why: why) }
        }
        guard (1...10_000).contains(s.shards) else {
            throw SlurmError.reservedOption("--shards \(s.shards)", why: "the number of shards must be 1 to 10000")
        }
        // --out is the finish step's: N tasks writing one file would overwrite each other.
        var shardArgs: [String] = []
        var i = 0
        while i < arguments.count {
            if arguments[i] == "--out" { i += 2; continue }
            if arguments[i].hasPrefix("--out=") { i += 1; continue }
            shardArgs.append(arguments[i]); i += 1
        }
        if let c = s.cpus, !arguments.contains(where: { $0 == "--threads" || $0.hasPrefix("--threads=") }) {
            shardArgs += ["--threads", "\(c)"]
        }
        func absolute(_ p: String) -> String {
            p.hasPrefix("/") ? p : URL(fileURLWithPath: s.workdir).appendingPathComponent(p).standardizedFileURL.path
        }
        let dir = absolute(s.dir ?? "slurm/\(name)")
        return SlurmJob(
            name: name, shards: s.shards, shardCommand: command + shardArgs, finishCommands: finish, dir: dir,
            into: absolute(s.into ?? dir + "/merged.sqlite"), executable: absolute(s.executable), workdir: s.workdir,
            partition: s.partition, time: s.time, cpus: s.cpus, sbatchOptions: s.sbatchOptions)
    }
}
