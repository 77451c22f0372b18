import ArgumentParser
import Basics
import Evaluation
import Foundation
import GGUF
import LiSA
import Models
import Store
import Studies

/// `lisa table2`: Table 2 from stored evaluation runs — the original model and each method (a sharing config, a
/// trained checkpoint) per benchmark, with standard errors, preserved shares, the average preserved and paired
/// differences against a reference method.
struct Table2Command: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "table2",
        abstract:
            "Table 2 from stored evaluation runs: scores ± s.e., preserved %, average preserved and paired "
            + "differences per method.",
        discussion:
            "Each --method is LABEL=sharing:FILE (runs of `lisa eval --sharing FILE`), LABEL=lisa:FILE (runs of "
            + "`lisa eval --lisa FILE`) or LABEL=nf:FILE (with --nf); for a checkpoint, FILE may be its header file "
            + "(X.header.json, which `lisa train` writes beside X.safetensors) where the weights are not kept. The original model's runs (no sharing, no "
            + "checkpoint) fix each benchmark's documents. With --model, every method gets Table 2's parameter "
            + "columns (trained %, saved %; a checkpoint counts the parameters it stores).\n"
            + "Example: lisa table2 --db reports/lisa.sqlite --method ds=sharing:reports/table1/ds-0.53.json "
            + "--reference ds --out table2.md --csv table2.csv")
    @OptionGroup var database: DatabaseOption
    @Option(help: "A row: LABEL=sharing:FILE, LABEL=lisa:FILE or LABEL=nf:FILE (repeatable).") var method: [String] = []
    @Option(help: "The method the paired column compares with (a --method label or \"original\").") var reference:
        String?
    @Option(help: "Only runs on this GGUF model (default: any model).") var model: String?
    @Option(help: "Write the markdown table here (default: print it).") var out: String?
    @Option(help: "Write the tidy CSV here.") var csv: String?
    @Option(
        help: ArgumentHelp(
            "Issue 18's token-budget curve of the rows labelled FAMILY-TOKENS (lisa-100000, ds-lora-400000): "
                + "BASE.md (trend per family), BASE.csv, BASE-lambada and BASE-preserved (.png, .svg).",
            valueName: "base"))
    var budgetCurve: String?
    @Option(help: "The untrained DS row the budget curve measures the gap from (a --method label).") var curveDs = "ds"
    @Option(
        help: ArgumentHelp(
            "Write the verdicts as DIR/verdicts.json (the claims tagged with a core finding go into "
                + "`lisa findings`).", valueName: "dir"))
    var verdicts: String?
    @Flag(
        help: ArgumentHelp(
            "One column per benchmark and number of shots, named \"TASK K-shot\" (Table 6); no average over "
                + "columns, no verdicts."))
    var labelShots = false

    /// The model's file name without extension, as reports name it ("model" without --model).
    var modelName: String { model.map { URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent } ?? "model" }

    func run() throws {
        let methods = try Table2Rows(model: model).methods(method)
        if Set(methods.map(\.label)).count != methods.count { throw ValidationError("--method: labels must differ.") }
        if let r = reference, r != "original", !methods.contains(where: { $0.label == r }) {
            throw ValidationError("--reference \(r) is not a --method label (nor \"original\").")
        }
        if budgetCurve != nil, !methods.contains(where: { $0.label == curveDs }) {
            throw ValidationError("--curve-ds \(curveDs) is not a --method label (the untrained DS row).")
        }
        if labelShots, verdicts != nil || budgetCurve != nil {
            throw ValidationError(
                "--label-shots: Table 2's verdicts and the budget curve are about one column per benchmark; leave out "
                    + "--verdicts and --budget-curve.")
        }
        let store = try database.open()
        let table: Table2
        do {
            table = try StoredInputs(store: store).table2(
                methods: methods, reference: reference, modelSHA256: try model.map { try SHA256.hex(ofFile: $0) },
                labelShots: labelShots)
        } catch let e as StoredInputError { throw CLIError(e.description) }
        guard !table.tasks.isEmpty else {
            throw CLIError(
                "No finished evaluation run in \(database.db ?? "reports/lisa.sqlite") matches the methods given.")
        }
        if let csv { try table.csv().write(toFile: csv, atomically: true, encoding: .utf8) }
        if let verdicts {
            let dir = URL(fileURLWithPath: verdicts)
            try table.studyVerdicts(report: dir.lastPathComponent, model: modelName).write(dir: dir)
        }
        if let budgetCurve {
            let curve = BudgetCurve(table, dsLabel: curveDs)
            guard !curve.families.isEmpty else {
                throw CLIError("--budget-curve: no --method label has the form FAMILY-TOKENS (e.g. lisa-100000).")
            }
            try curve.markdown().write(toFile: budgetCurve + ".md", atomically: true, encoding: .utf8)
            try curve.csv().write(toFile: budgetCurve + ".csv", atomically: true, encoding: .utf8)
            try curve.plots(to: URL(fileURLWithPath: budgetCurve), model: modelName)
        }
        if let out {
            try table.markdown().write(toFile: out, atomically: true, encoding: .utf8)
        } else {
            print(table.markdown(), terminator: "")
        }
    }
}
