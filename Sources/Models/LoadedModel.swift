import Foundation
import GGUF
import Numerics
import Tokenizers

/// A model ready to run: the mapped file, its Transformer and its tokenizer.
public final class LoadedModel: @unchecked Sendable {
    public let gguf: GGUFFile
    public let transformer: Transformer
    public let tokenizer: any Tokenizer
    public var config: ModelConfig { transformer.config }

    /// `weights`: matrices in their GGUF blocks (default) or dequantized to Float32 (the exact oracle path).
    /// `kv`: the KV cache element type (default F16 with quantized weights, F32 with Float32 weights).
    /// `exact`: products take the Float32 path's numbers (`ProductMode.exact`) and K/V default to F32.
    public init(
        path: String, threads: Int = 2, weights: WeightFormat = .quantized, kv: KVElement? = nil,
        exact: Bool = false
    ) throws {
        BLAS.setThreads(threads)
        WeightMatrix.threads = max(1, threads)
        gguf = try GGUFFile(path: path)
        transformer = try Transformer(gguf: gguf, weights: weights)
        transformer.kvElement = kv ?? (weights == .quantized && !exact ? .f16 : .f32)
        if exact { transformer.productMode = .exact }
        tokenizer = try TokenizerLoader.load(from: gguf)
    }

    /// Token ids for a text, with the model's default BOS unless `addBOS` says otherwise.
    public func encode(_ text: String, addBOS: Bool? = nil, parseSpecial: Bool = true) -> [Int] {
        tokenizer.encode(text, addBOS: addBOS ?? tokenizer.addBOSByDefault, parseSpecial: parseSpecial)
    }
}
