import Foundation
import Models

/// The sharing configuration file: {"layers":[{"index":n,"mode":"lisa","source":n−1}, …]}.
public struct SharingConfig: Codable, Equatable, Sendable {
    public struct Layer: Codable, Equatable, Sendable {
        public var index: Int
        public var mode: String
        public var source: Int
        public init(index: Int, mode: String = "lisa", source: Int) { self.index = index; self.mode = mode; self.source = source }
    }
    public var layers: [Layer]
    public init(layers: [Layer]) { self.layers = layers }

    /// LiSA on each listed layer, sharing from the layer before it (the `--layers 7,8,9` fallback).
    public init(lisaLayers: [Int]) { layers = lisaLayers.sorted().map { Layer(index: $0, source: $0 - 1) } }

    public static func load(_ path: String) throws -> SharingConfig {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        do { return try JSONDecoder().decode(SharingConfig.self, from: data) } catch {
            throw CheckpointError.config("\(path) is not a sharing config ({\"layers\":[{\"index\":n,\"mode\":\"lisa\",\"source\":n-1}]}): \(error).")
        }
    }

    public var json: String {
        let e = JSONEncoder(); e.outputFormatting = [.sortedKeys]
        return String(data: try! e.encode(self), encoding: .utf8)!
    }

    /// LiSA layers only, each sharing from its front layer n−1 (the local phase feeds the teacher's A_{n−1});
    /// the front layer's mask type must match when sequences exceed the sliding window.
    public func validate(config c: ModelConfig, seqLen: Int) throws {
        guard !layers.isEmpty else { throw CheckpointError.config("The sharing config lists no layers.") }
        var seen = Set<Int>()
        for l in layers {
            guard l.mode == "lisa" else { throw CheckpointError.config("Layer \(l.index): mode \"\(l.mode)\" is not trainable; only \"lisa\" is.") }
            guard (1..<c.nLayers).contains(l.index) else { throw CheckpointError.config("Layer \(l.index) is not in 1..<\(c.nLayers).") }
            guard l.source == l.index - 1 else { throw CheckpointError.config("Layer \(l.index): source must be its front layer \(l.index - 1), got \(l.source).") }
            guard seen.insert(l.index).inserted else { throw CheckpointError.config("Layer \(l.index) is listed twice.") }
            if c.isSlidingLayer[l.index] != c.isSlidingLayer[l.source], let w = c.slidingWindow, seqLen > w {
                throw CheckpointError.config("Layer \(l.index)'s attention type differs from layer \(l.source)'s (sliding window \(w) vs global) and sequences of \(seqLen) exceed the window: pick another layer.")
            }
        }
    }
}
