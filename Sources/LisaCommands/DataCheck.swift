import ArgumentParser
import Datasets

/// `lisa data …`: the task data under the data dir (data/README.md).
struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Inspect the task data (data/README.md).",
        discussion: "Example: lisa data check --data ../shared/data",
        subcommands: [DataCheck.self])
}

/// `lisa data check [--data DIR]`: reads every known file line by line, checks each record's fields and
/// types, prints one line per file, and exits non-zero when any file fails.
struct DataCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate every data file: each line a JSON object with the expected fields.",
        discussion: "Example: lisa data check --data ../shared/data")

    @OptionGroup var dataOption: DataOption

    func run() throws {
        let dir = DataDirectory(path: dataOption.data)
        print("data dir: \(dir.url.path)")
        let results = checkDataDirectory(dir)
        for r in results {
            if let n = r.records {
                print("\(r.path): \(n) lines OK")
            } else {
                print("\(r.path): FAILED — \(r.error ?? "unknown error")")
            }
        }
        let failed = results.filter { !$0.ok }.count
        print(failed == 0 ? "all \(results.count) files OK" : "\(failed) of \(results.count) files failed")
        if failed > 0 { throw ExitCode.failure }
    }
}
