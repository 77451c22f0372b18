import ArgumentParser
import Foundation
import Store

/// `lisa export --run R (--csv|--json) DIR`.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "export", abstract: "Export a run's samples, results and plots as CSV or JSON.",
        discussion: "Example: lisa export --run 2 --csv out/run2")
    @Option(name: .customLong("run"), help: "Run id.") var runId: Int64
    @Flag(help: "Write CSV files.") var csv = false
    @Flag(help: "Write one JSON file.") var json = false
    @Option(help: "SQLite database.") var db = "reports/lisa.sqlite"
    @Argument(help: "Output folder.") var dir: String

    func validate() throws {
        guard csv != json else { throw ValidationError("Give exactly one of --csv and --json.") }
    }

    func run() throws {
        guard FileManager.default.fileExists(atPath: db) else { throw CLIError("The study database \(db) does not exist.") }
        do {
            let files = try RunExport.write(store: try LisaStore(path: db), runId: runId, format: csv ? .csv : .json,
                                            to: URL(fileURLWithPath: dir))
            files.forEach { print($0.path) }
        } catch let e as StoreError { throw CLIError(e.description) }
    }
}
