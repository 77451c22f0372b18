import Basics
import ArgumentParser
import Evaluation
import Foundation
import Models
import Store
import Studies

/// `lisa table9`: DS under a sharing config as the training-free lower bound of LiSA (§5.6, Table 9):
/// per task Perf. Loss = 100 × (base − score)/base and its level, from evaluation runs in the database.
struct Table9Command: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "table9",
        abstract:
            "Table 9 from stored evaluation runs: Perf. Loss of DS under a sharing config per task, with levels "
            + "low/moderate/high.",
        discussion:
            "Example: lisa table9 --db reports/lisa.sqlite --sharing reports/table1/ds-0.53.json --out table9.md")
    @OptionGroup var database: DatabaseOption
    @Option(help: "The sharing config the DS runs used (`lisa eval --sharing`).") var sharing: String
    @Option(help: "Only runs on this GGUF model (default: any model).") var model: String?
    @Option(help: "Column label (default: DS (n) with n the shared layers).") var label: String?
    @Option(help: "Write the markdown table here (default: print it).") var out: String?

    func run() throws {
        let cfg = try SharingConfig.load(path: sharing)
        let store = try database.open()
        let rows: [Table9Row]
        do {
            rows = try StoredInputs(store: store).table9Rows(
                sharing: cfg.json, modelSHA256: try model.map { try SHA256.hex(ofFile: $0) })
        } catch let e as StoredInputError { throw CLIError(e.description) }
        let text =
            table9Markdown(rows, configLabel: label ?? "DS (\(cfg.shared.count))") + "\n\n"
            + "Perf. Loss = 100 × (base − score) / base (FIGURES.md C9); levels by DS loss: low < 40 ≤ moderate < 70 "
            + "≤ high, negative = low.\n"
            + "Config: \(cfg.table1Entry); layer sources (0-based): \(cfg.layerString)\n"
        if let out {
            try text.write(toFile: out, atomically: true, encoding: .utf8)
        } else {
            print(text, terminator: "")
        }
    }
}
