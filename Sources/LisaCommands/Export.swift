import ArgumentParser
import Foundation
import Store
import Studies

/// `lisa export (--run R | --eval-run E) (--csv|--json|--tidy) DIR`: Studies.StudyExport writes every stored table
/// (--csv, --json), Studies.TidyExport the tables a study report shows, with their standard errors (--tidy).
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract:
            "Export a run's tables (samples, results, S1/S2, cosines, top-k, sweeps, evaluation documents) as tidy "
            + "CSV with a README, or as JSON.",
        discussion: "Example: lisa export --run 2 --csv out/run2")
    @Option(name: .customLong("run"), help: "Study run id (runs.id).") var runId: Int64?
    @Option(name: .customLong("eval-run"), help: "Evaluation run id (evalRuns.id) of a `lisa eval --db` run; CSV only.")
    var evalRunId: Int64?
    @Flag(help: "Write tidy CSV files and README.md (their columns).") var csv = false
    @Flag(help: "Write one JSON file.") var json = false
    @Flag(
        help: "Write the tidy CSVs of a study report (S1 matrices, S2 curves, cosines, sensitivity sweeps, with s.e.).")
    var tidy = false
    @OptionGroup var database: DatabaseOption
    @Argument(help: "Output folder.") var dir: String

    func validate() throws {
        guard [csv, json, tidy].filter({ $0 }).count == 1 else {
            throw ValidationError("Give exactly one of --csv, --json and --tidy.")
        }
        guard (runId == nil) != (evalRunId == nil) else {
            throw ValidationError("Give exactly one of --run and --eval-run.")
        }
        guard evalRunId == nil || csv else { throw ValidationError("--eval-run exports CSV only: give --csv.") }
        try checkFolder(dir, option: "the output folder")
    }

    func run() throws {
        do {
            let store = try database.openExisting(), out = URL(fileURLWithPath: dir)
            let files =
                try evalRunId.map { try StudyExport.writeEval(store: store, evalRunId: $0, to: out) }
                ?? (tidy
                    ? TidyExport.write(store: store, runId: runId!, to: out)
                    : StudyExport.write(store: store, runId: runId!, format: csv ? .csv : .json, to: out))
            files.forEach { print($0.path) }
        } catch let e as StoreError { throw CLIError(e.description) }
    }
}
