import ArgumentParser
import Evaluation
import Foundation
import GGUF
import Models
import Store
import Studies

/// `lisa recommend`: Table 1's sharing configuration from a sensitivity sweep (a JSON file or a study in the
/// database) and, optionally, the Fig 3 study's adjacent-layer JSD (rule 1: a layer whose JSD to its front
/// layer exceeds 0.1 is excluded).
struct Recommend: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "recommend",
        abstract: "Choose the layers to share (Table 1 rules) from a sensitivity sweep; writes a sharing config JSON and an LCKV-style layer string.",
        discussion: "Example: lisa recommend models/gemma-3-270m-q4_k_m.gguf --sensitivity sweep.json --target 10 --out config.json")
    @Argument(help: "Path to the GGUF model the sweep was run on (or --model).") var modelPath: String?
    @Option(name: .customLong("model"), help: "Path to the GGUF model (instead of the argument).") var modelOption: String?
    @Option(help: "The sweep as JSON from `lisa sensitivity --out` (or use --db).") var sensitivity: String?
    @Option(help: "Study database holding a finished sensitivity study (and, for the JSD rule, a similarity study).") var db: String?
    @Option(help: "With --db: the sensitivity study.") var study = "fig9"
    @Option(help: "With --db: the task of the sensitivity study to rank by (default: the study's first).") var task: String?
    @Option(help: "With --db: the similarity study whose adjacent JSD drives rule 1 (\"none\" to skip).") var jsdStudy = "fig3"
    @Option(help: "The similarity study's task for rule 1 (FIGURES.md: GSM8K).") var jsdTask = "gsm8k"
    @Option(help: "s1 (head-averaged rows) or s2 (per-head position curve).") var jsd = "s1"
    @Option(help: "Rule 1: exclude a layer whose JSD to its front layer exceeds this (nats).") var jsdThreshold = 0.1
    @Option(help: "Layers to share: a count (10) or a fraction of all layers (0.53 → round(0.53 × L)).") var target: Double
    @Option(help: "Robust = DS score ≥ this × baseline.") var threshold = 0.9
    @Option(help: "0-based layers to exclude as well, comma-separated.") var exclude: String?
    @Flag(help: "Skip layers whose attention type (sliding/global) differs from the front layer's instead of flagging them.")
    var skipTypeChanges = false
    @Option(help: "Write the config here (default: print it).") var out: String?

    func validate() throws {
        guard target > 0 else { throw ValidationError("--target must be positive, got \(target).") }
        guard (modelPath ?? modelOption) != nil else { throw ValidationError("Give the model: lisa recommend MODEL … or --model MODEL.") }
        guard (sensitivity == nil) != (db == nil) else { throw ValidationError("Give exactly one of --sensitivity FILE and --db FILE.") }
        guard ["s1", "s2"].contains(jsd) else { throw ValidationError("--jsd must be s1 or s2, got \(jsd).") }
    }

    func run() throws {
        let model = (modelPath ?? modelOption)!
        let cfg = try ModelConfig.read(from: GGUFFile(path: model))
        let sha = try SHA256.hex(ofFile: model)
        let sweep: SensitivityResult
        var jsdToFront: [Double]?
        var source = "S1"
        if let sensitivity {
            do { sweep = try JSONDecoder().decode(SensitivityResult.self, from: Data(contentsOf: URL(fileURLWithPath: sensitivity))) }
            catch let e as DecodingError {
                throw CLIError("\(sensitivity) is not a sensitivity sweep written by `lisa sensitivity --out`: \(decodingReason(e)).")
            } catch { throw CLIError("--sensitivity \(sensitivity) cannot be read: \(FileProblem.reading(sensitivity, error)).") }
        } else {
            let store: LisaStore
            do { store = try LisaStore(path: db!) } catch { throw CLIError("--db: \(sentence(error))") }
            let inputs = StoredInputs(store: store)
            do {
                sweep = try inputs.sweep(study: study, task: task, modelSHA256: sha)
                if jsdStudy != "none" {
                    jsdToFront = Recommender.jsdToFront(adjacent: try inputs.adjacentJSD(study: jsdStudy, task: jsdTask, scheme: jsd, modelSHA256: sha))
                    source = "\(jsd.uppercased()) (\(jsdStudy), \(jsdTask))"
                }
            } catch let e as StoredInputError { throw CLIError(e.description) }
        }
        guard cfg.nLayers == sweep.nLayers else {
            throw CLIError("The sweep was run on a \(sweep.nLayers)-layer model but \(model) has \(cfg.nLayers) layers.")
        }
        let count = target < 1 ? Recommender.layers(forFraction: target, nLayers: cfg.nLayers) : Int(target.rounded())
        let ex = Set((exclude ?? "").split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) })
        let rec = Recommender(target: count, threshold: threshold, excluded: ex, skipTypeChanges: skipTypeChanges,
                              jsdToFront: jsdToFront, jsdThreshold: jsdThreshold, jsdSource: source)
        let config = rec.recommend(sweep, isSliding: cfg.isSlidingLayer, modelSHA256: sha, arch: cfg.arch.rawValue)
        try config.validate(path: out ?? "(recommendation)")
        let note = config.shared.count < count ? " (target \(count) not reachable after the exclusions: this is the maximum)" : ""
        FileHandle.standardError.write(Data("""
            ranked by \(sweep.task) (\(sweep.metric), n = \(sweep.n)); \(config.table1Entry) of \(cfg.nLayers) layers\(note)
            layer sources (0-based, LCKV style): \(config.layerString)

            """.utf8))
        if let out { try config.write(to: out) } else {
            let enc = JSONEncoder(); enc.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(data: try enc.encode(config), encoding: .utf8)!)
        }
    }
}
