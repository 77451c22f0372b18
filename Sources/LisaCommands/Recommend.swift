import Basics
import ArgumentParser
import Foundation
import Models
import Store
import Studies

/// `lisa recommend`: Table 1's sharing configuration from a sensitivity sweep (a JSON file or a study in the
/// database) and, optionally, the Fig 3 study's adjacent-layer JSD (rule 1: a layer whose JSD to its front
/// layer exceeds 0.1 is excluded).
struct Recommend: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recommend",
        abstract:
            "Choose the layers to share (Table 1 rules) from a sensitivity sweep; writes a sharing config JSON and "
            + "an LCKV-style layer string.",
        discussion:
            "Example: lisa recommend models/gemma-3-270m-q4_k_m.gguf --sensitivity sweep.json --target 10 --out "
            + "config.json"
    )
    @OptionGroup var modelArgument: ModelArgument
    @Option(help: "The sweep as JSON from `lisa sensitivity --out` (or use --db).") var sensitivity: String?
    @OptionGroup var database: DatabaseOption
    @Option(help: "With --db: the sensitivity study.") var study = "fig9"
    @Option(help: "With --db: the task of the sensitivity study to rank by (default: the study's first).") var task:
        String?
    @Option(help: "With --db: the similarity study whose adjacent JSD drives rule 1 (\"none\" to skip).") var jsdStudy =
        "fig3"
    @Option(help: "The similarity study's task for rule 1 (FIGURES.md: GSM8K).") var jsdTask = "gsm8k"
    @Option(help: "s1 (head-averaged rows) or s2 (per-head position curve).") var jsd: JSDScheme = .s1
    @Option(help: "Rule 1: exclude a layer whose JSD to its front layer exceeds this (nats).") var jsdThreshold = 0.1
    @Option(help: "Layers to share: a count (10) or a fraction of all layers (0.53 → round(0.53 × L)).") var target:
        Double
    @Option(help: "Robust = DS score ≥ this × baseline.") var threshold = 0.9
    @Option(help: "0-based layers to exclude as well, comma-separated.") var exclude: String?
    @Flag(
        help:
            "Skip layers whose attention type (sliding/global) differs from the front layer's instead of flagging them."
    )
    var skipTypeChanges = false
    @Option(help: "Write the config here (default: print it).") var out: String?

    func validate() throws {
        guard target > 0 else { throw ValidationError("--target must be positive, got \(target).") }
        guard (sensitivity == nil) != (database.db == nil) else {
            throw ValidationError("Give exactly one of --sensitivity FILE and --db FILE.")
        }
        _ = try excluded()
    }

    func excluded() throws -> Set<Int> {
        Set(try exclude.map { try commaIntegers($0, option: "--exclude", expected: "a 0-based layer index") } ?? [])
    }

    func run() throws {
        let sweep: RecommendationRequest.Sweep =
            try sensitivity.map { .file($0) }
            ?? .study(
                store: database.open(), name: study, task: task,
                jsd: jsdStudy == "none" ? nil : (jsdStudy, jsdTask, jsd))
        let r: Recommendation
        do {
            r = try Recommendation.recommend(
                RecommendationRequest(
                    modelPath: modelArgument.model, sweep: sweep, target: target, threshold: threshold,
                    excluded: try excluded(),
                    skipTypeChanges: skipTypeChanges, jsdThreshold: jsdThreshold))
        } catch let e as StoredInputError { throw CLIError(e.description) }
        FileHandle.standardError.write(Data((r.summary + "\n\n").utf8))
        if let out {
            try r.config.write(to: out)
        } else {
            print(String(decoding: CanonicalJSON.data(r.config, pretty: true), as: UTF8.self))
        }
    }
}

extension JSDScheme: ExpressibleByArgument {}
