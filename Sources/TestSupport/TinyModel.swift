import Foundation
import GGUF

/// Writes tiny random-weight GGUF models of each architecture's shape (llama, qwen2, gemma3) so
/// model tests run in milliseconds without the real files. Weights come from a seeded generator;
/// `weightType` picks F32, F16 or Q8_0 for the 2-D matrices (norms and biases stay F32).
public struct TinyModel {
    public var arch: String
    public var nLayers = 3
    public var nEmbd = 64
    public var nHeads = 4
    public var nKVHeads = 2
    public var headDim = 16
    public var nFF = 96
    public var vocab = 300
    public var context = 256
    public var slidingWindow = 8
    public var weightType: GGMLType = .f32
    public var seed: UInt64 = 1
    /// Also write a separate output.weight (otherwise the head is tied to token_embd).
    public var separateOutput = false

    public init(arch: String) {
        self.arch = arch
        if arch == "gemma3" { nLayers = 6 }  // one global layer (index 5) and five sliding ones
    }

    /// Names and PyTorch-order shapes of every tensor this architecture needs.
    public var tensorShapes: [(name: String, shape: [Int])] {
        var out: [(String, [Int])] = [("token_embd.weight", [vocab, nEmbd]), ("output_norm.weight", [nEmbd])]
        if separateOutput { out.append(("output.weight", [vocab, nEmbd])) }
        let q = nHeads * headDim, kv = nKVHeads * headDim
        for l in 0..<nLayers {
            let p = "blk.\(l)."
            out += [
                (p + "attn_norm.weight", [nEmbd]), (p + "attn_q.weight", [q, nEmbd]),
                (p + "attn_k.weight", [kv, nEmbd]),
                (p + "attn_v.weight", [kv, nEmbd]), (p + "attn_output.weight", [nEmbd, q]),
                (p + "ffn_norm.weight", [nEmbd]),
                (p + "ffn_gate.weight", [nFF, nEmbd]), (p + "ffn_up.weight", [nFF, nEmbd]),
                (p + "ffn_down.weight", [nEmbd, nFF]),
            ]
            if arch == "qwen2" {
                out += [(p + "attn_q.bias", [q]), (p + "attn_k.bias", [kv]), (p + "attn_v.bias", [kv])]
            }
            if arch == "gemma3" {
                out += [
                    (p + "attn_q_norm.weight", [headDim]), (p + "attn_k_norm.weight", [headDim]),
                    (p + "post_attention_norm.weight", [nEmbd]), (p + "post_ffw_norm.weight", [nEmbd]),
                ]
            }
        }
        return out
    }

    /// Builds the file in memory. `omit` drops tensors by name (for missing-tensor tests).
    public func writer(omit: Set<String> = []) throws -> GGUFWriter {
        var rng = seed
        func next() -> Float {
            rng = rng &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: rng >> 11) % 20001 - 10000) / 10000  // uniform in [-1, 1]
        }
        var tensors: [GGUFWriter.Tensor] = []
        for (name, shape) in tensorShapes where !omit.contains(name) {
            let n = shape.reduce(1, *)
            let isNorm = name.hasSuffix("norm.weight")
            let scale: Float = name.hasPrefix("token_embd") || name.hasPrefix("output.") ? 1 : 0.3
            let values = (0..<n).map { _ in isNorm ? 1 + 0.2 * next() : scale * next() }
            let type: GGMLType = shape.count == 2 ? weightType : .f32
            tensors.append(
                GGUFWriter.Tensor(
                    name: name, dims: shape.reversed(), type: type,
                    data: try GGUFWriter.quantize(values, to: type)))
        }
        return GGUFWriter(metadata: metadata, tensors: tensors)
    }

    public func write(to path: String, omit: Set<String> = []) throws { try writer(omit: omit).write(to: path) }

    /// Hyper-parameters and a byte-level SentencePiece vocabulary (<unk>, <s>, </s>, <0x00>…<0xFF>, pieces).
    public var metadata: [(key: String, value: GGUFValue)] {
        let a = arch
        var tokens = ["<unk>", "<s>", "</s>"] + (0..<256).map { String(format: "<0x%02X>", $0) }
        let pieces = ["▁the", "▁a", "▁of", "▁and", "th", "he", "in", "er", "an", "▁t"]
        var i = 0
        while tokens.count < vocab { tokens.append(i < pieces.count ? pieces[i] : "▁w\(i)"); i += 1 }
        let types: [GGUFValue] = tokens.indices.map { .int32($0 < 3 ? 3 : ($0 < 259 ? 6 : 1)) }
        let scores: [GGUFValue] = tokens.indices.map { .float32($0 < 259 ? 0 : -Float($0)) }
        var md: [(key: String, value: GGUFValue)] = [
            ("general.architecture", .string(a)), ("general.name", .string("tiny-\(a)")),
            ("\(a).block_count", .uint32(UInt32(nLayers))), ("\(a).embedding_length", .uint32(UInt32(nEmbd))),
            ("\(a).feed_forward_length", .uint32(UInt32(nFF))), ("\(a).attention.head_count", .uint32(UInt32(nHeads))),
            ("\(a).attention.head_count_kv", .uint32(UInt32(nKVHeads))),
            ("\(a).attention.key_length", .uint32(UInt32(headDim))),
            ("\(a).attention.value_length", .uint32(UInt32(headDim))),
            ("\(a).context_length", .uint32(UInt32(context))),
            ("\(a).attention.layer_norm_rms_epsilon", .float32(1e-6)),
            ("\(a).rope.freq_base", .float32(a == "gemma3" ? 1_000_000 : 10_000)),
            ("tokenizer.ggml.model", .string("llama")),
            ("tokenizer.ggml.tokens", .array(.string, tokens.map { .string($0) })),
            ("tokenizer.ggml.scores", .array(.float32, scores)), ("tokenizer.ggml.token_type", .array(.int32, types)),
            ("tokenizer.ggml.bos_token_id", .uint32(1)), ("tokenizer.ggml.eos_token_id", .uint32(2)),
            ("tokenizer.ggml.unknown_token_id", .uint32(0)), ("tokenizer.ggml.add_bos_token", .bool(true)),
        ]
        if a == "gemma3" { md.append(("gemma3.attention.sliding_window", .uint32(UInt32(slidingWindow)))) }
        return md
    }
}

extension GGUFWriter {
    /// Replaces the value of `key` (appending it when absent); nil removes the key. For bad-input tests.
    public mutating func set(_ key: String, _ value: GGUFValue?) {
        if let i = metadata.firstIndex(where: { $0.key == key }) {
            if let value { metadata[i].value = value } else { metadata.remove(at: i) }
        } else if let value {
            metadata.append((key, value))
        }
    }

    /// Writes the file into a fresh temporary folder; returns the file's path and the folder to remove.
    public func writeTemporary(_ name: String = "m.gguf") throws -> (path: String, dir: URL) {
        let dir = try TestPaths.tempDir("bad")
        let path = dir.appendingPathComponent(name).path
        try write(to: path)
        return (path, dir)
    }
}

/// What the tests that run `lisa train` start from: a tiny gemma3 GGUF (32-wide, 48-wide FFN) and a JSONL corpus
/// of `documents` short texts, written into `dir`.
public struct TinyTrainingFiles {
    public let model: String
    public let corpus: String

    public init(in dir: URL, documents: Int) throws {
        var t = TinyModel(arch: "gemma3"); t.nEmbd = 32; t.nFF = 48
        model = dir.appendingPathComponent("tiny.gguf").path
        try t.write(to: model)
        corpus = dir.appendingPathComponent("corpus.jsonl").path
        try (0..<documents).map { "{\"text\":\"the \($0) and a of the heart in \($0 * 7) the winter\"}" }.joined(
            separator: "\n"
        )
        .write(toFile: corpus, atomically: true, encoding: .utf8)
    }
}
