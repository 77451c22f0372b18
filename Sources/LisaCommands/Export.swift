import ArgumentParser
import Foundation
import Store
import Studies

/// `lisa export --run R (--csv|--json|--tidy) DIR`.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "export", abstract: "Export a run's samples, results and plots as CSV or JSON.")
    @Option(name: .customLong("run"), help: "Run id.") var runId: Int64
    @Flag(help: "Write CSV files.") var csv = false
    @Flag(help: "Write one JSON file.") var json = false
    @Flag(help: "Write the tidy CSVs of a study report (S1 matrices, S2 curves, cosines, sensitivity sweeps, with s.e.).") var tidy = false
    @Option(help: "SQLite database.") var db = "reports/lisa.sqlite"
    @Argument(help: "Output folder.") var dir: String

    func validate() throws {
        guard [csv, json, tidy].filter({ $0 }).count == 1 else { throw ValidationError("Give exactly one of --csv, --json and --tidy.") }
    }

    func run() throws {
        guard FileManager.default.fileExists(atPath: db) else { throw CLIError("The study database \(db) does not exist.") }
        do {
            let store = try LisaStore(path: db), out = URL(fileURLWithPath: dir)
            let files = tidy ? try TidyExport.write(store: store, runId: runId, to: out)
                             : try RunExport.write(store: store, runId: runId, format: csv ? .csv : .json, to: out)
            files.forEach { print($0.path) }
        } catch let e as StoreError { throw CLIError(e.description) }
    }
}
