import Basics
import ArgumentParser
import Evaluation
import Foundation
import Store
import Models

/// `--threads`, declared once for every command that computes.
struct ThreadsOption: ParsableArguments {
    @Option(help: "Threads for BLAS and the kernels (1 to 256).") var threads = 2
    func validate() throws { try validateThreads(threads) }
}

/// `--data`, declared once for every command that reads the shared data.
struct DataOption: ParsableArguments {
    @Option(help: "The data folder (default: $LISA_DATA, else ../shared/data).") var data: String?
}

/// `--db`, declared once: the SQLite study database.
struct DatabaseOption: ParsableArguments {
    @Option(
        help:
            ArgumentHelp(
                "The SQLite study database (default reports/lisa.sqlite where a command needs one; eval and "
                    + "sensitivity "
                    + "store only with it).")
    )
    var db: String?

    static let defaultPath = "reports/lisa.sqlite"
    var path: String { db ?? Self.defaultPath }

    /// Opens `path` (created if absent), any failure as a sentence naming --db.
    func open() throws -> LisaStore { try Self.open(path) }
    /// Opens --db only when it was given.
    func openIfGiven() throws -> LisaStore? { try db.map(Self.open) }

    /// Opens `path`, which must exist (commands that read what runs stored).
    func openExisting() throws -> LisaStore {
        guard FileManager.default.fileExists(atPath: path) else {
            throw CLIError("The study database \(path) does not exist; run `lisa study run` first.")
        }
        return try open()
    }

    static func open(_ path: String) throws -> LisaStore {
        do { return try LisaStore(path: path) } catch { throw CLIError("--db: \(sentence(error))") }
    }
}

/// `--seed`, declared once with one default: every random draw of a run (the document sample and few-shot
/// exemplars, sampling, a trainer's initialisation) comes from it.
struct SeedOption: ParsableArguments {
    static let defaultSeed: UInt64 = 1234
    @Option(help: "Seed of the run's random draws (document sample and exemplars, sampling, initialisation).")
    var seed: UInt64 = SeedOption.defaultSeed
}

/// `--reports`, declared once: the folder of report folders.
struct ReportsOption: ParsableArguments {
    @Option(help: "The reports folder: <study>/report.md and its images go there.") var reports = "reports"
    func validate() throws { try checkFolder(reports, option: "--reports") }
}

/// `--studies`, declared once: the folder of study files.
struct StudiesOption: ParsableArguments {
    @Option(help: "The folder of study files.") var studies = "studies"
}

/// `--shard I/N`, declared once: a run's part for `lisa merge`.
struct ShardOption: ParsableArguments {
    @Option(
        help: "Run only shard I of N (0-based) into --db (its documents, samples or configurations); then `lisa merge`."
    )
    var shard: String?
    func validate() throws { _ = try parsed() }
    func parsed() throws -> Shard? { try parseShard(shard) }
}

/// `--resume`, declared once.
struct ResumeFlag: ParsableArguments {
    @Flag(help: "Continue the stopped run with the same parameters, skipping what it stored.") var resume = false
}

/// The model argument of every command that opens a model: positional, first.
struct ModelArgument: ParsableArguments {
    static let help: ArgumentHelp = "Path to a GGUF model file."
    @Argument(help: ModelArgument.help) var model: String
}

/// Options every model-running command shares.
struct ModelOptions: ParsableArguments {
    @OptionGroup var modelArgument: ModelArgument
    var model: String { modelArgument.model }
    @OptionGroup var threadsOption: ThreadsOption
    var threads: Int { threadsOption.threads }
    @Flag(help: "Check every activation for NaN/Inf and report the first layer and op.") var debugNonfinite = false
    @Option(
        help:
            ArgumentHelp(
                "Weight matrices in memory: quantized (in their GGUF blocks, the default) or f32 (dequantized at load: "
                    + "the exact path the oracle tests check).")
    )
    var weights: WeightFormat = .quantized
    @Option(help: "K/V cache element type: f16 or f32 (default: f16 with quantized weights, f32 with --weights f32).")
    var kv: KVElement?
    @Option(
        help:
            ArgumentHelp(
                "Products with quantized weights: integer (8-bit activations, the default), exact (dequantized tiles "
                    + "and "
                    + "sgemm: the f32 path's numbers) or auto (integer up to 8 rows, exact above).")
    )
    var products: ProductMode?

    /// `capture`: the command captures attention as a study does, so products default to exact and K/V to F32.
    func load(capture: Bool = false) throws -> LoadedModel {
        let m = try LoadedModel(
            path: model, threads: threads, weights: weights, kv: kv, exact: capture && products == nil)
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
        guard (prompt == nil) != (promptFile == nil) else {
            throw ValidationError("Give exactly one of --prompt and --prompt-file.")
        }
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

/// `--threads`: 1 to 256.
func validateThreads(_ threads: Int) throws {
    guard (1...256).contains(threads) else {
        throw ValidationError("--threads must be between 1 and 256, got \(threads).")
    }
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
        throw CLIError(
            "Task \(task.spec.name) has no document to evaluate with \(shots) shots (the data file holds "
                + "\(task.records.count) "
                + "records\(shots > 0 && task.spec.pool == .head ? ", \(task.spec.poolSize) of them kept as the few-shot pool" : ""))."
        )
    }
    if let limit, limit > available {
        FileHandle.standardError.write(
            Data(
                ("warning: --limit \(limit) is more than the \(available) documents task \(task.spec.name) "
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
func jsonLine(_ object: [String: Any]) throws -> String { CanonicalJSON.line(object) }

/// A comma-separated list read strictly: every entry must parse, none may be empty; the error names the option,
/// the bad entry and what was expected (e.g. `--exclude: "x" is not a 0-based layer index`).
func commaList<T>(_ text: String, option: String, expected: String, _ parse: (String) -> T?) throws -> [T] {
    try text.split(separator: ",", omittingEmptySubsequences: false).map { raw -> T in
        let entry = raw.trimmingCharacters(in: .whitespaces)
        guard !entry.isEmpty else {
            throw ValidationError("\(option) \"\(text)\" has an empty entry; give \(expected), comma-separated.")
        }
        guard let v = parse(entry) else { throw ValidationError("\(option): \"\(entry)\" is not \(expected).") }
        return v
    }
}

/// `commaList` of non-negative integers (layers, lengths).
func commaIntegers(
    _ text: String, option: String, expected: String, range: ClosedRange<Int> = 0...Int.max
) throws -> [Int] {
    try commaList(text, option: option, expected: expected) { Int($0).flatMap { range.contains($0) ? $0 : nil } }
}

extension WeightFormat: ExpressibleByArgument {}
extension KVElement: ExpressibleByArgument {}
extension ProductMode: ExpressibleByArgument {}
