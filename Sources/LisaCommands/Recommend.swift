import ArgumentParser
import Evaluation
import Foundation
import GGUF
import Models

/// `lisa recommend`: Table 1's sharing configuration from a sensitivity sweep.
struct Recommend: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "recommend",
        abstract: "Choose the layers to share (Table 1 rules) from a `lisa sensitivity --out` file; writes a sharing config JSON.")
    @Argument(help: "Path to the GGUF model the sweep was run on.") var model: String
    @Option(help: "The sweep (JSON from `lisa sensitivity --out`).") var sensitivity: String
    @Option(help: "How many layers to share (Gemma: 10 / 12 / 15 ≈ 53 / 65 / 84 %).") var target: Int
    @Option(help: "Robust = DS score ≥ this × baseline.") var threshold = 0.9
    @Option(help: "0-based layers to exclude as well, comma-separated (e.g. adjacent S1 JSD > 0.1).") var exclude: String?
    @Flag(help: "Skip layers whose attention type (sliding/global) differs from the front layer's instead of flagging them.")
    var skipTypeChanges = false
    @Option(help: "Write the config here (default: print it).") var out: String?

    func validate() throws { guard target >= 1 else { throw ValidationError("--target must be at least 1, got \(target).") } }

    func run() throws {
        let sweep: SensitivityResult
        do { sweep = try JSONDecoder().decode(SensitivityResult.self, from: Data(contentsOf: URL(fileURLWithPath: sensitivity))) }
        catch { throw CLIError("\(sensitivity) is not a sensitivity sweep written by `lisa sensitivity --out` (\(error)).") }
        let cfg = try ModelConfig.read(from: GGUFFile(path: model))
        guard cfg.nLayers == sweep.nLayers else {
            throw CLIError("\(sensitivity) was run on a \(sweep.nLayers)-layer model but \(model) has \(cfg.nLayers) layers.")
        }
        let ex = Set((exclude ?? "").split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) })
        let rec = Recommender(target: target, threshold: threshold, excluded: ex, skipTypeChanges: skipTypeChanges)
        let config = rec.recommend(sweep, isSliding: cfg.isSlidingLayer, modelSHA256: try SHA256.hex(ofFile: model), arch: cfg.arch.rawValue)
        try config.validate(path: out ?? "(recommendation)")
        let shared = config.shared.map { String($0.index + 1) }.joined(separator: ", ")
        FileHandle.standardError.write("shared layers (1-based): \(shared) — \(config.shared.count) of \(cfg.nLayers)\n".data(using: .utf8)!)
        if let out { try config.write(to: out) } else {
            let enc = JSONEncoder(); enc.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(data: try enc.encode(config), encoding: .utf8)!)
        }
    }
}
