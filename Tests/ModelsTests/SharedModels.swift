import Foundation
import GGUF
import Models
import TestSupport

/// Real models loaded once per test process: `gemma`/`qwen` with weights dequantized to Float32 (the exact path
/// the oracle tests check), `gemmaQuantized`/`qwenQuantized` with weights in their GGUF blocks (the default). A
/// load that fails is rethrown to every test that asks for the model, so it fails there; tests that need a model
/// which may be absent carry `.needsGemma` / `.needsQwen` and are skipped before asking.
enum RealModels {
    static let gemma = Result { try Transformer(gguf: GGUFFile(path: TestPaths.gemma), weights: .f32) }
    static let qwen = Result { try Transformer(gguf: GGUFFile(path: TestPaths.qwen), weights: .f32) }
    static let gemmaQuantized = Result { try Transformer(gguf: GGUFFile(path: TestPaths.gemma)) }
    static let qwenQuantized = Result { try Transformer(gguf: GGUFFile(path: TestPaths.qwen)) }
    static func model(_ name: String) throws -> Transformer { try (name == "gemma3" ? gemma : qwen).get() }
    static func quantized(_ name: String) throws -> Transformer {
        try (name == "gemma3" ? gemmaQuantized : qwenQuantized).get()
    }
}

/// Loosely typed JSON access for the oracle files.
extension Dictionary where Key == String, Value == Any {
    func arr(_ k: String) -> [Any] { self[k] as! [Any] }
    func dict(_ k: String) -> [String: Any] { self[k] as! [String: Any] }
    func ints(_ k: String) -> [Int] { (self[k] as! [Any]).map { ($0 as! NSNumber).intValue } }
    func num(_ k: String) -> Double { (self[k] as! NSNumber).doubleValue }
}

func doubles(_ a: Any) -> [Double] { (a as! [Any]).map { ($0 as! NSNumber).doubleValue } }
