import ArgumentParser
import Foundation
import Studies

/// `lisa slurm study|eval|sensitivity …`: the same command as a Slurm job array of shards plus a merge job.
struct SlurmCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "slurm",
        abstract: "Write (and with --submit submit) a Slurm job array of shards and a dependent merge job.",
        discussion: """
            Give the command's own arguments as you would to it; lisa slurm adds --shard, --db and --resume to each task.

            Example: lisa slurm study studies/fig3.yaml --shards 8 --partition cpu --time 1:00:00 --cpus 4
            """,
        subcommands: [SlurmStudy.self, SlurmEval.self, SlurmSensitivity.self])
}

struct SlurmOptions: ParsableArguments {
    @Option(help: "Number of shards (array tasks).") var shards: Int
    @Option(help: "Slurm partition (#SBATCH --partition).") var partition: String?
    @Option(help: "Time limit per task, e.g. 1:00:00 (#SBATCH --time).") var time: String?
    @Option(help: "CPUs per task (#SBATCH --cpus-per-task; also --threads unless given).") var cpus: Int?
    @Option(help: "A further #SBATCH option for both jobs, e.g. --account=proj (repeatable).") var sbatchOption:
        [String] = []
    @Option(help: "Folder for the scripts, shard databases and logs (default: slurm/<name>).") var dir: String?
    @Option(help: "The merged database (default: <dir>/merged.sqlite).") var into: String?
    @Option(help: "The lisa executable the jobs run (default: this one; on a cluster, a path every node sees).")
    var executable: String?
    @Flag(help: "Submit with sbatch after writing the scripts.") var submit = false

    func validate() throws {
        guard shards >= 1 else { throw ValidationError("--shards must be at least 1, got \(shards).") }
        if let cpus { try validateThreads(cpus) }
    }

    var settings: SlurmJob.Settings {
        let me =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return SlurmJob.Settings(
            shards: shards, dir: dir, into: into, executable: executable ?? me,
            workdir: FileManager.default.currentDirectoryPath, partition: partition, time: time, cpus: cpus,
            sbatchOptions: sbatchOption)
    }

    /// Writes the scripts, submits them when asked, and prints what it did.
    func finish(_ job: SlurmJob) throws {
        do {
            let files = try job.write()
            print("wrote " + files.joined(separator: " "))
            if submit {
                let ids = try job.submit()
                print(
                    "submitted array job \(ids.array) (\(job.shards) tasks) and merge job \(ids.merge) "
                        + "(afterok:\(ids.array)); "
                        + "merged database: \(job.into)")
            } else {
                print("submit with: \(job.submitScript)")
            }
        } catch {
            throw CLIError(sentence(error))
        }
    }
}

/// Parses `arguments` as the inner command would (its own checks, its own messages) before anything is written.
func parseInner<C: ParsableCommand>(_ type: C.Type, _ arguments: [String], _ name: String) throws -> C {
    do { return try C.parse(arguments) } catch { throw CLIError("lisa \(name): " + C.fullMessage(for: error)) }
}

func reservedCheck(_ f: () throws -> SlurmJob) throws -> SlurmJob {
    do { return try f() } catch let e as SlurmError { throw CLIError(e.description) }
}

struct SlurmStudy: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "study",
        abstract: "Shards of `lisa study run FILE …` (samples or configurations).",
        discussion: "Example: lisa slurm study studies/tiny.yaml --shards 2 --cpus 1")
    @OptionGroup var slurm: SlurmOptions
    @Argument(parsing: .allUnrecognized, help: "The study file and `lisa study run` options.") var arguments: [String] =
        []

    func run() throws {
        let inner = try parseInner(StudyRun.self, arguments, "study run")
        let job = try reservedCheck {
            try SlurmJob.study(
                file: inner.file, arguments: arguments, reportsDir: inner.reports, settings: slurm.settings)
        }
        try slurm.finish(job)
    }
}

struct SlurmEval: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Shards of `lisa eval MODEL --task T …` (documents).",
        discussion: "Example: lisa slurm eval models/gemma-3-270m-q4_k_m.gguf --task piqa --shards 4")
    @OptionGroup var slurm: SlurmOptions
    @Argument(parsing: .allUnrecognized, help: "The model and `lisa eval` options.") var arguments: [String] = []

    func run() throws {
        let inner = try parseInner(Eval.self, arguments, "eval")
        try slurm.finish(
            try reservedCheck {
                try SlurmJob.eval(
                    task: inner.task
                        ?? URL(fileURLWithPath: inner.taskFile ?? "task").deletingPathExtension().lastPathComponent,
                    arguments: arguments, settings: slurm.settings)
            })
    }
}

struct SlurmSensitivity: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sensitivity",
        abstract: "Shards of `lisa sensitivity MODEL --task T …` (configurations).",
        discussion: "Example: lisa slurm sensitivity models/gemma-3-270m-q4_k_m.gguf --task piqa --limit 100 --shards 4"
    )
    @OptionGroup var slurm: SlurmOptions
    @Argument(parsing: .allUnrecognized, help: "The model and `lisa sensitivity` options.") var arguments: [String] = []

    func run() throws {
        let inner = try parseInner(SensitivityCommand.self, arguments, "sensitivity")
        try slurm.finish(
            try reservedCheck {
                try SlurmJob.sensitivity(task: inner.task, arguments: arguments, settings: slurm.settings)
            })
    }
}
