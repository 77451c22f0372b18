import ArgumentParser
import Foundation
import Store
import Studies

/// `lisa study run|list`: study files → capture → store → analyses → plots → reports/<study>/.
struct StudyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "study",
        abstract:
            "Run the similarity studies of LiSA §3 (Figs 3, 4, 5, 11, 12, Table 11) and the sensitivity studies "
            + "(Figs 6, 9).",
        discussion: "Example: lisa study run studies/fig3.yaml --resume",
        subcommands: [StudyRun.self, StudyList.self])
}

struct StudyRun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Run a study file (capture, analyses, plots, report).",
        discussion: "Example: lisa study run studies/fig3.yaml --resume")
    @Argument(help: "A study file, e.g. studies/fig3.yaml.") var file: String
    @Argument(help: "Path to a GGUF model file (default: the study file's `model:`).") var model: String?
    @OptionGroup var database: DatabaseOption
    @OptionGroup var dataOption: DataOption
    @OptionGroup var reportsOption: ReportsOption
    @OptionGroup var threadsOption: ThreadsOption
    @OptionGroup var resumeFlag: ResumeFlag
    @Flag(
        help: ArgumentHelp(
            "Recompute even if a finished run exists (a new run; old ones stay), scoring every configuration "
                + "afresh instead of copying identical finished runs of other studies.")) var force = false
    @Option(help: "tasks/ folder for `kind: sensitivity` studies (default: LISA_TASKS or ./tasks).") var tasks: String?
    @OptionGroup var shardOption: ShardOption
    @Option(help: .hidden) var throttleMs = 0

    var reports: String { reportsOption.reports }
    var shard: String? { shardOption.shard }

    func run() throws {
        do {
            let s = try StudyRunner.run(
                specPath: file,
                options: StudyRunOptions(
                    modelPath: model, dbPath: database.path, dataDir: dataOption.data, reportsDir: reports,
                    resume: resumeFlag.resume,
                    force: force, threads: threadsOption.threads, throttleMilliseconds: throttleMs, tasksDir: tasks,
                    shard: shardOption.parsed()))
            if let shard, !s.alreadyFinished {
                print(
                    "run \(s.runId): shard \(shard): \(s.samplesCaptured) units run, \(s.samplesResumed) resumed; "
                        + "merge with `lisa merge`"
                )
            } else if !s.alreadyFinished {
                print(
                    "run \(s.runId): \(s.samplesCaptured) samples captured, \(s.samplesResumed) resumed; report: "
                        + "\(s.reportFiles.first ?? "-")"
                )
            } else {
                print("run \(s.runId): already finished")
            }
        } catch let e as ValidationError {
            throw e
        } catch {
            throw CLIError(sentence(error))
        }
    }
}

struct StudyList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List the study files in a folder.",
        discussion: "Example: lisa study list --studies studies")
    @OptionGroup var studiesOption: StudiesOption
    var dir: String { studiesOption.studies }
    @Flag(
        help: ArgumentHelp(
            "Print each study's run parameters instead (path, name, the canonical JSON a run stores in "
                + "runs.parameters and verdicts.json: what identifies its runs)."))
    var parameters = false

    func run() throws {
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".yaml") }
            .sorted()
        guard !files.isEmpty else { throw CLIError("\(dir): no study files (*.yaml) found.") }
        for f in files {
            let path = "\(dir)/\(f)"
            if parameters {
                let p =
                    studyKind(path) == .sensitivity
                    ? (try? SensitivityStudySpec.load(path)).map { ($0.name, $0.parametersJSON()) }
                    : (try? StudySpec.load(path)).map { ($0.name, $0.parametersJSON()) }
                print(p.map { "\(path)\t\($0.0)\t\($0.1)" } ?? "\(path)\t(invalid: run `lisa study run \(path)` to see why)")
                continue
            }
            if studyKind(path) == .sensitivity, let s = try? SensitivityStudySpec.load(path) {
                print(
                    "\(path)\t\(s.name)\t\(s.tasks.map { "\($0.task)×\($0.limit)" }.joined(separator: ", "))\t\(s.title)"
                )
            } else if let s = try? StudySpec.load(path) {
                let d = s.datasets.map { "\($0.task)×\($0.samples)" }.joined(separator: ", ")
                print("\(path)\t\(s.name)\t\(d)\t\(s.title)")
            } else {
                print("\(path)\t(invalid: run `lisa study run \(path)` to see why)")
            }
        }
    }
}

/// `--shard I/N` of study run, eval and sensitivity.
func parseShard(_ text: String?) throws -> Shard? {
    do { return try text.map(Shard.init(parsing:)) } catch let e as ShardError { throw ValidationError(e.description) }
}
