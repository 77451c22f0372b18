import Foundation
import GGUF
import Models
import TestSupport
import Testing

/// Every architecture path (llama, qwen2, gemma3) against the independent NaiveReference on tiny
/// written GGUFs — the only way to test llama, for which no real model is available here.
@Suite struct TinyModelTests {
    func compare(_ tiny: TinyModel, tokens: [Int], tolerance: Double = 2e-4) throws {
        let dir = try TestPaths.tempDir("tiny"); defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("\(tiny.arch).gguf").path
        try tiny.write(to: path)
        // the exact path (dequantized matrices): this checks reading every weight type and the forward itself; the
        // quantized kernels have their own tests (QuantKernelTests, QuantizedAccuracyTests)
        let model = try Transformer(gguf: GGUFFile(path: path), weights: .f32)
        let cap = LastRowCapture(layers: model.config.nLayers)
        let logits = try model.forward(tokens, cache: model.makeCache(), tap: cap)
        let ref = try NaiveReference(path: path).run(tokens)
        var maxLogit = 0.0, maxProb = 0.0
        try #require(logits.last.count == ref.logits.count, "\(tiny.arch): \(logits.last.count) vs \(ref.logits.count)")
        try #require(
            cap.rows.count == ref.probs.count
                && zip(cap.rows, ref.probs).allSatisfy { a, b in
                    a.count == b.count && zip(a, b).allSatisfy { $0.count == $1.count }
                }, "\(tiny.arch): captured attention rows have another shape than the reference's")
        for (i, r) in ref.logits.enumerated() {
            maxLogit = max(maxLogit, abs(Double(logits.last[logits.last.startIndex + i]) - r))
        }
        for l in ref.probs.indices {
            for h in ref.probs[l].indices {
                for k in ref.probs[l][h].indices {
                    maxProb = max(maxProb, abs(Double(cap.rows[l][h][k]) - ref.probs[l][h][k]))
                }
            }
        }
        print("tiny \(tiny.arch) \(tiny.weightType.name): max |Δ logit| \(maxLogit), max |Δ prob| \(maxProb)")
        #expect(maxLogit < tolerance * max(1, ref.logits.map(abs).max()!), "\(tiny.arch): logits differ by \(maxLogit)")
        #expect(maxProb < 1e-5, "\(tiny.arch): attention differs by \(maxProb)")
    }

    static let tokens = [1, 260, 45, 77, 261, 300 - 1, 12, 3, 262, 263, 99, 150]

    @Test(arguments: ["llama", "qwen2", "gemma3"])
    func matchesNaiveReference(arch: String) throws {
        var t = TinyModel(arch: arch)
        t.separateOutput = arch == "qwen2"
        try compare(t, tokens: Self.tokens)  // 12 tokens > sliding window 8: the gemma3 window is exercised
    }

    @Test(arguments: [GGMLType.f16, .q8_0])
    func quantizedWeightsMatchReference(type: GGMLType) throws {
        var t = TinyModel(arch: "qwen2"); t.weightType = type
        try compare(t, tokens: Self.tokens)
    }

    /// Prefill all at once == prefill part, then decode the rest token by token with the KV cache.
    @Test(arguments: ["llama", "gemma3"])
    func incrementalDecodingMatchesPrefill(arch: String) throws {
        let dir = try TestPaths.tempDir("tiny"); defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("m.gguf").path
        try TinyModel(arch: arch).write(to: path)
        let model = try Transformer(gguf: GGUFFile(path: path))
        let full = try model.forward(Self.tokens, cache: model.makeCache(), logits: .all)
        let cache = model.makeCache()
        _ = try model.forward(Array(Self.tokens.prefix(5)), cache: cache)
        for i in 5..<Self.tokens.count {
            let step = try model.forward([Self.tokens[i]], cache: cache)
            try #require(step.last.count == full.row(i).count)
            let diff = zip(step.last, full.row(i)).map { abs($0 - $1) }.max()!
            #expect(diff < 1e-4, "\(arch) position \(i): incremental logits differ by \(diff)")
        }
        #expect(cache.count == Self.tokens.count)
    }
}
