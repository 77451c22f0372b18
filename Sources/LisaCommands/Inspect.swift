import Basics
import ArgumentParser
import Foundation
import GGUF
import Models
import Numerics

/// `lisa inspect MODEL`: architecture, hyper-parameters, tokenizer, tensor table and totals of a GGUF
/// file; `--expect-*` turn it into a check (scripts/setup uses it to verify a download).
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a GGUF model's architecture, hyper-parameters, tensors and tokenizer.",
        discussion: "Example: lisa inspect models/gemma-3-270m-q4_k_m.gguf --json")
    @Argument(help: "Path to a .gguf file.") var model: String?
    @Flag(help: "Print the BLAS library, kernel family and CPU features in use.") var system = false
    @Flag(help: "Load the model (weights in their GGUF blocks, F16 K/V) and print where a prefill's memory goes.")
    var memory = false
    @Option(help: "Prompt length for --memory.") var memoryTokens = 512
    @Flag(help: "Print one JSON object instead of text.") var json = false
    @Option(help: "Fail unless general.architecture is this.") var expectArch: String?
    @Option(help: "Fail unless <arch>.block_count is this.") var expectBlocks: Int?
    @Option(help: "Fail unless the file has this many tensors.") var expectTensors: Int?

    /// A file that does not match the --expect-* options.
    struct Mismatch: Error, CustomStringConvertible {
        let description: String
    }

    func validate() throws {
        guard model != nil || system else { throw ValidationError("Give a model file, --system, or both.") }
        guard !memory || model != nil else { throw ValidationError("--memory needs a model file.") }
        guard memoryTokens >= 1 else { throw ValidationError("--memory-tokens must be ≥ 1, got \(memoryTokens).") }
    }

    func run() throws {
        if system { print(systemReport()) }
        guard let model else { return }
        if memory {
            let m = try LoadedModel(path: model)
            print(
                "memory of a \(memoryTokens)-token prefill (weights \(m.transformer.weights.format.rawValue), K/V "
                    + "\(m.transformer.kvElement.rawValue)):"
            )
            for l in MemoryBreakdown(model: m.transformer, tokens: memoryTokens).lines { print("  " + l) }
            return
        }
        let summary = GGUFSummary(try GGUFFile(path: model))
        if json {
            print(String(decoding: CanonicalJSON.data(summary, pretty: true), as: UTF8.self))
        } else {
            print(Inspect.text(summary))
        }
        try check(summary)
    }

    func check(_ s: GGUFSummary) throws {
        var problems: [String] = []
        if let a = expectArch, s.architecture != a {
            problems.append("architecture is \(s.architecture ?? "missing"), expected \(a)")
        }
        if let b = expectBlocks, s.blockCount != b {
            problems.append("block count is \(s.blockCount.map(String.init) ?? "missing"), expected \(b)")
        }
        if let t = expectTensors, s.tensors.count != t {
            problems.append("tensor count is \(s.tensors.count), expected \(t)")
        }
        if !problems.isEmpty {
            throw Mismatch(description: "\(s.path) does not match: " + problems.joined(separator: "; ") + ".")
        }
    }

    static func text(_ s: GGUFSummary) -> String {
        var out: [String] = []
        out.append(s.path)
        out.append(
            "  GGUF v\(s.version), architecture \(s.architecture ?? "?"), "
                + "\(s.blockCount.map { "\($0) blocks, " } ?? "")"
                + "alignment \(s.alignment), \(s.tensors.count) tensors, \(s.metadataCount) metadata keys, data at "
                + "byte \(s.dataOffset)"
        )
        out.append("")
        out.append("Hyper-parameters")
        let keyWidth = s.hyperParameters.map(\.key.count).max() ?? 0
        for e in s.hyperParameters { out.append("  " + pad(e.key, keyWidth) + "  " + e.value) }
        out.append("")
        let t = s.tokenizer
        out.append("Tokenizer")
        out.append(
            "  model \(t.model ?? "-"), pre \(t.pre ?? "-"), vocab \(t.vocabSize.map(String.init) ?? "-"), "
                + "BOS \(t.bosId.map(String.init) ?? "-"), EOS \(t.eosId.map(String.init) ?? "-"), "
                + "PAD \(t.padId.map(String.init) ?? "-"), add_bos_token \(t.addBosToken.map(String.init) ?? "-")")
        out.append("")
        out.append("Tensors")
        let rows = s.tensors.map {
            [
                $0.name, $0.type, "[" + $0.shape.map(String.init).joined(separator: ", ") + "]",
                "[" + $0.ggmlDims.map(String.init).joined(separator: ", ") + "]", String($0.bytes),
            ]
        }
        out += table(["name", "type", "shape (PyTorch)", "ggml dims", "bytes"], rows, rightAligned: [4])
        out.append("")
        out.append("Totals: \(s.parameterCount) parameters, \(s.tensorBytes) bytes of tensor data")
        out += table(
            ["type", "tensors", "parameters", "bytes"],
            s.byType.map { [$0.type, String($0.tensors), String($0.parameters), String($0.bytes)] },
            rightAligned: [1, 2, 3])
        return out.joined(separator: "\n")
    }

    static func table(_ header: [String], _ rows: [[String]], rightAligned: Set<Int>) -> [String] {
        let widths = header.indices.map { c in ([header] + rows).map { $0[c].count }.max()! }
        return ([header] + rows).map { row in
            "  "
                + row.indices.map { c in
                    rightAligned.contains(c)
                        ? String(repeating: " ", count: widths[c] - row[c].count) + row[c] : pad(row[c], widths[c])
                }.joined(separator: "  ")
        }
    }

    static func pad(_ s: String, _ n: Int) -> String { s + String(repeating: " ", count: max(0, n - s.count)) }
}

/// The BLAS kernel in use matters 5–7× here (../shared/docs/PERFORMANCE.md), so it is always printed.
func systemReport() -> String {
    let flags = BLASKernel.cpuFlags()
    let simd = [
        "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16", "avx_vnni", "neon",
        "asimd",
    ].filter(flags.contains)
    let forced =
        ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"].map { " (OPENBLAS_CORETYPE=\($0))" }
        ?? " (auto-detected)"
    return """
        BLAS: OpenBLAS, kernel \(BLAS.coreName)\(forced)
        OpenBLAS config: \(BLAS.configString)
        CPU features: \(simd.joined(separator: " ")), \(ProcessInfo.processInfo.activeProcessorCount) cores
        Quantized kernels: path \(KernelPath.name) (supported here: \(KernelPath.supported.map(KernelPath.name).joined(separator: ", ")); LISA_KERNEL forces one)
        """
}
