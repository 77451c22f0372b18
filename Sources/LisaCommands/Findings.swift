import ArgumentParser
import Foundation
import Store
import Studies

/// `lisa findings`: reports/FINDINGS.md, the paper's four core findings × our models, from the study files'
/// tagged claims and the newest finished run of each study (no recomputation).
struct FindingsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "findings",
        abstract:
            "Write reports/FINDINGS.md: the four core findings × models, with verdicts from the stored study runs "
            + "(or, for a study with no run in the database, from its committed report's verdicts.json).",
        discussion: "Example: lisa findings --db reports/lisa.sqlite --out reports/FINDINGS.md")
    @OptionGroup var database: DatabaseOption
    @OptionGroup var studiesOption: StudiesOption
    var studies: String { studiesOption.studies }
    @Option(help: "Where to write the markdown.") var out = "reports/FINDINGS.md"

    func run() throws {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: studies, isDirectory: &isDir), isDir.boolValue else {
            throw CLIError("--studies \(studies) is not a folder of study files.")
        }
        do {
            // Without a database (a fresh clone), the committed reports' verdicts.json files give every cell.
            let store: LisaStore?
            if database.db == nil, !FileManager.default.fileExists(atPath: database.path) {
                FileHandle.standardError.write(
                    Data("no database at \(database.path): verdicts from the committed reports only\n".utf8))
                store = nil
            } else {
                store = try database.openExisting()
            }
            try Findings.write(store: store, studiesDir: studies, out: out)
            print(out)
        } catch let e as CLIError { throw e } catch { throw CLIError(sentence(error)) }
    }
}
