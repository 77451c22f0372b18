import Foundation
import GGUF
import Numerics
import Tokenizers

/// A model ready to run: the mapped file, its Transformer (weights in Float32) and its tokenizer.
public final class LoadedModel: @unchecked Sendable {
    public let gguf: GGUFFile
    public let transformer: Transformer
    public let tokenizer: any Tokenizer
    public var config: ModelConfig { transformer.config }

    public init(path: String, threads: Int = 2) throws {
        BLAS.setThreads(threads)
        gguf = try GGUFFile(path: path)
        transformer = try Transformer(gguf: gguf)
        tokenizer = try TokenizerLoader.load(from: gguf)
    }

    /// Token ids for a text, with the model's default BOS unless `addBOS` says otherwise.
    public func encode(_ text: String, addBOS: Bool? = nil, parseSpecial: Bool = true) -> [Int] {
        tokenizer.encode(text, addBOS: addBOS ?? tokenizer.addBOSByDefault, parseSpecial: parseSpecial)
    }
}
