import Foundation
import GGUF
import Models
import TestSupport
import Testing

/// Issue 15: every hyper-parameter is range-checked, and checked against the tensor shapes, before anything
/// is sized by it. Each case edits one key of a tiny model and expects the sentence naming it.
@Suite struct HyperParameterTests {
    struct Case: CustomStringConvertible, Sendable {
        let description: String
        let arch: String
        let key: String
        let value: GGUFValue?
        /// The error text after "<path>: ".
        let expected: String
    }

    static let cases: [Case] = [
        // Gemma3Arch divided by the period: SIGFPE.
        Case(
            description: "sliding_window_pattern 0", arch: "gemma3", key: "gemma3.attention.sliding_window_pattern",
            value: .uint32(0),
            expected:
                "hyper-parameter 'gemma3.attention.sliding_window_pattern' is 0, expected 1 to 1024 (every period-th "
                + "layer is global)."
        ),
        Case(
            description: "sliding_window_pattern -6", arch: "gemma3", key: "gemma3.attention.sliding_window_pattern",
            value: .int32(-6),
            expected:
                "hyper-parameter 'gemma3.attention.sliding_window_pattern' is -6, expected 1 to 1024 (every "
                + "period-th layer is global)."
        ),
        // block_count sized arrays before it was validated (abort, hang or a huge allocation).
        Case(
            description: "block_count 2^40", arch: "gemma3", key: "gemma3.block_count", value: .uint64(1 << 40),
            expected: "hyper-parameter 'gemma3.block_count' is 1099511627776, expected 1 to 1024."),
        Case(
            description: "block_count 2^62", arch: "qwen2", key: "qwen2.block_count", value: .uint64(1 << 62),
            expected: "hyper-parameter 'qwen2.block_count' is 4611686018427387904, expected 1 to 1024."),
        Case(
            description: "block_count u32 max", arch: "gemma3", key: "gemma3.block_count", value: .uint32(.max),
            expected: "hyper-parameter 'gemma3.block_count' is 4294967295, expected 1 to 1024."),
        Case(
            description: "block_count -1", arch: "gemma3", key: "gemma3.block_count", value: .int32(-1),
            expected: "hyper-parameter 'gemma3.block_count' is -1, expected 1 to 1024."),
        Case(
            description: "block_count u64 max", arch: "llama", key: "llama.block_count", value: .uint64(.max),
            expected: "metadata key 'llama.block_count' is 18446744073709551615, too large for an integer."),
        Case(
            description: "block_count more than the file's blocks", arch: "llama", key: "llama.block_count",
            value: .uint32(4),
            expected:
                "hyper-parameter 'llama.block_count' is 4 but the file holds tensors of 3 blocks (blk.0 to blk.2)."),
        Case(
            description: "block_count fewer than the file's blocks", arch: "qwen2", key: "qwen2.block_count",
            value: .uint32(2),
            expected:
                "hyper-parameter 'qwen2.block_count' is 2 but the file holds tensors of 3 blocks (blk.0 to blk.2)."),
        Case(
            description: "block_count a string", arch: "llama", key: "llama.block_count", value: .string("3"),
            expected: "metadata key 'llama.block_count' is a string, not an integer."),
        Case(
            description: "epsilon NaN", arch: "llama", key: "llama.attention.layer_norm_rms_epsilon",
            value: .float32(.nan),
            expected:
                "hyper-parameter 'llama.attention.layer_norm_rms_epsilon' is nan, expected a finite number above 0 "
                + "and below 1.0."
        ),
        Case(
            description: "epsilon 0", arch: "qwen2", key: "qwen2.attention.layer_norm_rms_epsilon", value: .float32(0),
            expected:
                "hyper-parameter 'qwen2.attention.layer_norm_rms_epsilon' is 0.0, expected a finite number above 0 "
                + "and below 1.0."
        ),
        Case(
            description: "epsilon -Inf", arch: "gemma3", key: "gemma3.attention.layer_norm_rms_epsilon",
            value: .float32(-.infinity),
            expected:
                "hyper-parameter 'gemma3.attention.layer_norm_rms_epsilon' is -inf, expected a finite number above 0 "
                + "and below 1.0."
        ),
        Case(
            description: "epsilon a string", arch: "gemma3", key: "gemma3.attention.layer_norm_rms_epsilon",
            value: .string("1e-6"),
            expected: "metadata key 'gemma3.attention.layer_norm_rms_epsilon' is a string, not a number."),
        Case(
            description: "rope base Inf", arch: "llama", key: "llama.rope.freq_base", value: .float32(.infinity),
            expected: "hyper-parameter 'llama.rope.freq_base' is inf, expected a finite number above 0."),
        Case(
            description: "rope base -1", arch: "gemma3", key: "gemma3.rope.freq_base", value: .float32(-1),
            expected: "hyper-parameter 'gemma3.rope.freq_base' is -1.0, expected a finite number above 0."),
        Case(
            description: "local rope base 0", arch: "gemma3", key: "gemma3.rope.freq_base_swa", value: .float32(0),
            expected: "hyper-parameter 'gemma3.rope.freq_base_swa' is 0.0, expected a finite number above 0."),
        Case(
            description: "query_pre_attn_scalar 0", arch: "gemma3", key: "gemma3.attention.query_pre_attn_scalar",
            value: .uint32(0),
            expected:
                "hyper-parameter 'gemma3.attention.query_pre_attn_scalar' is 0.0, expected a finite number above 0."),
        Case(
            description: "query_pre_attn_scalar NaN", arch: "gemma3", key: "gemma3.attention.query_pre_attn_scalar",
            value: .float64(.nan),
            expected:
                "hyper-parameter 'gemma3.attention.query_pre_attn_scalar' is nan, expected a finite number above 0."),
        Case(
            description: "context_length 0", arch: "llama", key: "llama.context_length", value: .uint32(0),
            expected: "hyper-parameter 'llama.context_length' is 0, expected 1 to 16777216."),
        Case(
            description: "context_length 2^40", arch: "qwen2", key: "qwen2.context_length", value: .uint64(1 << 40),
            expected: "hyper-parameter 'qwen2.context_length' is 1099511627776, expected 1 to 16777216."),
        Case(
            description: "head_count_kv above head_count", arch: "llama", key: "llama.attention.head_count_kv",
            value: .uint32(8),
            expected: "hyper-parameter 'llama.attention.head_count_kv' is 8, expected 1 to 4."),
        Case(
            description: "head_count_kv not a divisor", arch: "llama", key: "llama.attention.head_count_kv",
            value: .uint32(3),
            expected: "hyper-parameter 'llama.attention.head_count_kv' is 3, which does not divide head_count 4."),
        Case(
            description: "head_count_kv a float", arch: "qwen2", key: "qwen2.attention.head_count_kv",
            value: .float32(2),
            expected: "metadata key 'qwen2.attention.head_count_kv' is a floating-point number, not an integer."),
        Case(
            description: "key_length odd", arch: "llama", key: "llama.attention.key_length", value: .uint32(15),
            expected: "hyper-parameter 'llama.attention.key_length' is 15, expected an even size from 2 to 1024."),
        Case(
            description: "key_length not the tensors' head size", arch: "llama", key: "llama.attention.key_length",
            value: .uint32(8),
            expected: "tensor 'blk.0.attn_q.weight' has shape [64, 64], expected [32, 64]."),
        Case(
            description: "embedding_length not the tensors'", arch: "qwen2", key: "qwen2.embedding_length",
            value: .uint32(32),
            expected: "tensor 'token_embd.weight' has shape [300, 64], expected [300, 32]."),
        Case(
            description: "feed_forward_length not the tensors'", arch: "gemma3", key: "gemma3.feed_forward_length",
            value: .uint32(128),
            expected: "tensor 'blk.0.ffn_up.weight' has shape [96, 64], expected [128, 64]."),
        Case(
            description: "feed_forward_length 2^62", arch: "gemma3", key: "gemma3.feed_forward_length",
            value: .uint64(1 << 62),
            expected: "hyper-parameter 'gemma3.feed_forward_length' is 4611686018427387904, expected 1 to 1048576."),
        Case(
            description: "vocab_size not the embedding's", arch: "llama", key: "llama.vocab_size", value: .uint32(500),
            expected: "tensor 'token_embd.weight' has shape [300, 64], expected [500, 64]."),
        Case(
            description: "sliding_window 2^40", arch: "gemma3", key: "gemma3.attention.sliding_window",
            value: .uint64(1 << 40),
            expected: "hyper-parameter 'gemma3.attention.sliding_window' is 1099511627776, expected 1 to 16777216."),
    ]

    @Test(arguments: cases)
    func badHyperParameterIsNamedBeforeAnyAllocation(_ c: Case) throws {
        var w = try TinyModel(arch: c.arch).writer()
        w.set(c.key, c.value)
        let (path, dir) = try w.writeTemporary()
        defer { try? FileManager.default.removeItem(at: dir) }
        let f = try GGUFFile(path: path)
        do {
            _ = try ModelConfig.read(from: f)
            Issue.record("\(c): expected \(c.expected)")
        } catch {
            #expect("\(error)" == "\(path): \(c.expected)", "\(c)")
        }
    }

    /// The real models' hyper-parameters still pass.
    @Test func tinyModelsOfEveryArchitectureStillLoad() throws {
        for arch in ["llama", "qwen2", "gemma3"] {
            let (path, dir) = try TinyModel(arch: arch).writer().writeTemporary()
            defer { try? FileManager.default.removeItem(at: dir) }
            let c = try ModelConfig.read(from: GGUFFile(path: path))
            #expect(c.nLayers == (arch == "gemma3" ? 6 : 3))
            #expect(
                c.isSlidingLayer == (arch == "gemma3" ? [true, true, true, true, true, false] : [false, false, false]))
        }
    }

    @Test func slidingWindowPatternOneMakesEveryLayerGlobal() throws {
        var w = try TinyModel(arch: "gemma3").writer()
        w.set("gemma3.attention.sliding_window_pattern", .uint32(1))
        let (path, dir) = try w.writeTemporary()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(try ModelConfig.read(from: GGUFFile(path: path)).isSlidingLayer == Array(repeating: false, count: 6))
    }

    /// A tensor type without a dequantizer is named with the file and the tensor before any weight is loaded.
    @Test func unsupportedTensorTypeIsNamed() throws {
        var w = try TinyModel(arch: "qwen2").writer()
        w.tensors.append(
            GGUFWriter.Tensor(
                name: "blk.0.extra.weight", dims: [256], type: .iq2_xxs, data: [UInt8](repeating: 0, count: 66)))
        let (path, dir) = try w.writeTemporary()
        defer { try? FileManager.default.removeItem(at: dir) }
        do {
            _ = try ModelConfig.read(from: GGUFFile(path: path)); Issue.record("an IQ2_XXS tensor was accepted")
        } catch {
            #expect(
                "\(error)"
                    == "\(path): tensor 'blk.0.extra.weight' has type IQ2_XXS, which this build cannot dequantize "
                    + "(supported: F32, F16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, BF16).")
        }
    }
}
