import Foundation
import GGUF
import Models
import TestSupport

/// Real models loaded once per test process: `gemma`/`qwen` with weights dequantized to Float32 (the exact path
/// the oracle tests check), `gemmaQuantized`/`qwenQuantized` with weights in their GGUF blocks (the default).
enum RealModels {
    static let gemma: Transformer = {
        do { return try Transformer(gguf: GGUFFile(path: TestPaths.gemma), weights: .f32) }
        catch { fatalError("cannot load Gemma from \(TestPaths.gemma): \(error) — run scripts/setup") }
    }()
    static let qwen: Transformer? = {
        guard TestPaths.hasQwen else { return nil }
        return try? Transformer(gguf: GGUFFile(path: TestPaths.qwen), weights: .f32)
    }()
    static let gemmaQuantized: Transformer = {
        do { return try Transformer(gguf: GGUFFile(path: TestPaths.gemma)) }
        catch { fatalError("cannot load Gemma from \(TestPaths.gemma): \(error) — run scripts/setup") }
    }()
    static let qwenQuantized: Transformer? = {
        guard TestPaths.hasQwen else { return nil }
        return try? Transformer(gguf: GGUFFile(path: TestPaths.qwen))
    }()
    static func model(_ name: String) -> Transformer? { name == "gemma3" ? gemma : qwen }
    static func quantized(_ name: String) -> Transformer? { name == "gemma3" ? gemmaQuantized : qwenQuantized }
}

/// Loosely typed JSON access for the oracle files.
extension Dictionary where Key == String, Value == Any {
    func arr(_ k: String) -> [Any] { self[k] as! [Any] }
    func dict(_ k: String) -> [String: Any] { self[k] as! [String: Any] }
    func ints(_ k: String) -> [Int] { (self[k] as! [Any]).map { ($0 as! NSNumber).intValue } }
    func num(_ k: String) -> Double { (self[k] as! NSNumber).doubleValue }
}

func doubles(_ a: Any) -> [Double] { (a as! [Any]).map { ($0 as! NSNumber).doubleValue } }
