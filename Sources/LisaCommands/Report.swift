import ArgumentParser
import Foundation
import Store
import Studies

/// `lisa report --study S`: redraws a finished run's plots and report.md from the store, no recomputation.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "Redraw a study's plots and report from the database.",
        discussion: "Example: lisa report --study fig3 --db reports/lisa.sqlite")
    @Option(help: "Study name (e.g. fig3).") var study: String
    @Option(help: "Study file (default: studies/<study>.yaml).") var file: String?
    @OptionGroup var database: DatabaseOption
    @OptionGroup var reportsOption: ReportsOption

    func run() throws {
        do {
            let spec = try StudySpec.load(file ?? "studies/\(study).yaml")
            let store = try database.openExisting()
            guard let run = try store.latestFinishedRun(study: study) else {
                throw StoreError.noRun(study: study, path: database.path)
            }
            let files = try StudyReport(store: store, spec: spec, runId: run.id!, reportsDir: reportsOption.reports)
                .write()
            print("run \(run.id!): " + files.joined(separator: " "))
        } catch let e as CLIError {
            throw e
        } catch {
            throw CLIError(sentence(error))
        }
    }
}
