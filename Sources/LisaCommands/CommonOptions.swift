import ArgumentParser
import Evaluation
import Foundation
import Store
import GGUF
import Models

/// Options every model-running command shares.
struct ModelOptions: ParsableArguments {
    @Argument(help: "Path to a GGUF model file.") var model: String
    @Option(help: "BLAS threads.") var threads = 2
    @Flag(help: "Check every activation for NaN/Inf and report the first layer and op.") var debugNonfinite = false
    @Option(help: "Weight matrices in memory: quantized (in their GGUF blocks, the default) or f32 (dequantized at load: the exact path the oracle tests check).")
    var weights: WeightFormat = .quantized
    @Option(help: "K/V cache element type: f16 or f32 (default: f16 with quantized weights, f32 with --weights f32).")
    var kv: KVElement?
    @Option(help: "Products with quantized weights: integer (8-bit activations, the default), exact (dequantized tiles and sgemm: the f32 path's numbers) or auto (integer up to 8 rows, exact above).")
    var products: ProductMode?

    func validate() throws { try validateThreads(threads) }

    /// `capture`: the command captures attention as a study does, so products default to exact and K/V to F32.
    func load(capture: Bool = false) throws -> LoadedModel {
        let m = try LoadedModel(path: model, threads: threads, weights: weights, kv: kv, exact: capture && products == nil)
        m.transformer.checkFinite = debugNonfinite
        if let products { m.transformer.productMode = products }
        return m
    }
}

/// A prompt given inline or as a file (read whole, newlines included).
struct PromptOptions: ParsableArguments {
    @Option(help: "Prompt text.") var prompt: String?
    @Option(help: "Read the prompt from a file (whole file, newlines included).") var promptFile: String?
    @Flag(help: "Do not add the BOS token even if the model asks for it.") var noBos = false

    func validate() throws {
        guard (prompt == nil) != (promptFile == nil) else { throw ValidationError("Give exactly one of --prompt and --prompt-file.") }
    }

    func text() throws -> String {
        if let prompt { return prompt }
        return try readTextFile(promptFile!)
    }

    func ids(_ m: LoadedModel) throws -> [Int] {
        let ids = m.encode(try text(), addBOS: noBos ? false : nil)
        guard !ids.isEmpty else { throw ValidationError("The prompt encodes to no tokens.") }
        return ids
    }
}

/// `--threads` of every command: 1 to 256.
func validateThreads(_ threads: Int) throws {
    guard (1...256).contains(threads) else { throw ValidationError("--threads must be between 1 and 256, got \(threads).") }
}

/// `--limit` and `--shots` of the commands that score a task.
func validateSampling(limit: Int?, shots: Int?) throws {
    if let shots, shots < 0 { throw ValidationError("--shots must be 0 or more, got \(shots).") }
    if let limit, limit < 1 { throw ValidationError("--limit must be at least 1, got \(limit).") }
}

/// The documents a run can score; a --limit above their number runs them all, with a warning that says so.
func checkLimit(_ limit: Int?, task: EvalTask, shots: Int) throws {
    let available = task.evaluable(shots: shots).count
    guard available > 0 else {
        throw CLIError("Task \(task.spec.name) has no document to evaluate with \(shots) shots (the data file holds \(task.records.count) "
            + "records\(shots > 0 && task.spec.pool == .head ? ", \(task.spec.poolSize) of them kept as the few-shot pool" : "")).")
    }
    if let limit, limit > available {
        FileHandle.standardError.write(Data(("warning: --limit \(limit) is more than the \(available) documents task \(task.spec.name) "
            + "can evaluate; running all \(available).\n").utf8))
    }
}

/// Any error as the sentence the user sees: Foundation's file errors and SQLite errors are rewritten to name the
/// file and the fault; the project's own errors already read as sentences.
func sentence(_ error: Error) -> String {
    FileProblem.sentence(error) ?? LisaStore.sentence(for: error) ?? "\(error)"
}

/// `--reports` must be a folder (or not exist yet): checked before a long run, not after it.
func checkFolder(_ path: String, option: String) throws {
    var isDir: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue {
        throw ValidationError("\(option) \(path) is a file, not a folder.")
    }
}

/// A user-facing error with a sentence of text.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// Compact JSON for one line of output.
func jsonLine(_ object: Any) throws -> String {
    let data = try JSONSerialization.data(withJSONObject: object, options: [.withoutEscapingSlashes])
    return String(data: data, encoding: .utf8)!
}

extension WeightFormat: ExpressibleByArgument {}
extension KVElement: ExpressibleByArgument {}
extension ProductMode: ExpressibleByArgument {}
