import ArgumentParser
import Basics
import Evaluation
import Foundation
import Models
import Store
import Studies

/// `lisa table9`: DS under a sharing config as the training-free lower bound of LiSA (§5.6, Table 9): per task
/// Perf. Loss = 100 × (base − score)/base ± s.e. and its level, and the loss of any trained rows beside it, from
/// the evaluation runs Table 2 reads.
struct Table9Command: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "table9",
        abstract:
            "Table 9 from stored evaluation runs: Perf. Loss ± s.e. of DS under a sharing config per task, with "
            + "levels low/moderate/high, and of trained rows beside it.",
        discussion:
            "Example: lisa table9 --db reports/lisa.sqlite --sharing reports/table1/ds-0.53.json "
            + "--method lisa=lisa:ckpt.header.json --out table9.md")
    @OptionGroup var database: DatabaseOption
    @Option(help: "The sharing config the DS runs used (`lisa eval --sharing`).") var sharing: String
    @Option(help: "More rows, as `lisa table2 --method` (LABEL=lisa:FILE, LABEL=nf:FILE, LABEL=sharing:FILE).")
    var method: [String] = []
    @Option(help: "Only runs on this GGUF model (default: any model).") var model: String?
    @Option(help: "Column label (default: DS (n) with n the shared layers).") var label: String?
    @Option(help: "Write the markdown table here (default: print it).") var out: String?

    func run() throws {
        let cfg = try SharingConfig.load(path: sharing)
        let extra = try Table2Rows(model: model).methods(method)
        let dsLabel = label ?? "DS (\(cfg.shared.count))"
        guard !extra.contains(where: { $0.label == dsLabel }) else {
            throw ValidationError("--method: the label \"\(dsLabel)\" is the DS column's (--label).")
        }
        let store = try database.open()
        let table: Table2
        do {
            table = try StoredInputs(store: store).table2(
                methods: [Table2Method(label: dsLabel, sharing: cfg.json)] + extra, reference: "original",
                modelSHA256: try model.map { try SHA256.hex(ofFile: $0) })
        } catch let e as StoredInputError { throw CLIError(e.description) }
        guard table.tasks.contains(where: { table.cells[$0]?[dsLabel] != nil }) else {
            throw CLIError(
                "The database \(store.path) holds no finished evaluation runs with this sharing config (`lisa eval "
                    + "--sharing \(sharing)`) beside an original run on the same documents.")
        }
        let text =
            table.table9Markdown(dsLabel: dsLabel, configLabel: dsLabel)
            + "Config: \(cfg.table1Entry); layer sources (0-based): \(cfg.layerString)\n"
        if let out {
            try text.write(toFile: out, atomically: true, encoding: .utf8)
        } else {
            print(text, terminator: "")
        }
    }
}
