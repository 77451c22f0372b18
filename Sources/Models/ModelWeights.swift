import Foundation
import GGUF
import Numerics

/// One decoder block's weights, dequantized to Float32. Linear weights are [out, in] row-major.
public final class LayerWeights: @unchecked Sendable {
    public var attnNorm: FloatBuffer            // [d]
    public var wq: FloatBuffer                  // [nHeads·headDim, d]
    public var wk: FloatBuffer                  // [nKV·headDim, d]
    public var wv: FloatBuffer                  // [nKV·headDim, d]
    public var bq: FloatBuffer?                 // [nHeads·headDim]   (qwen2)
    public var bk: FloatBuffer?                 // [nKV·headDim]      (qwen2)
    public var bv: FloatBuffer?                 // [nKV·headDim]      (qwen2)
    public var qNorm: FloatBuffer?              // [headDim]          (gemma3)
    public var kNorm: FloatBuffer?              // [headDim]          (gemma3)
    public var wo: FloatBuffer                  // [d, nHeads·headDim]
    public var postAttnNorm: FloatBuffer?       // [d]                (gemma3)
    public var ffnNorm: FloatBuffer             // [d]
    public var wGate: FloatBuffer               // [nFF, d]
    public var wUp: FloatBuffer                 // [nFF, d]
    public var wDown: FloatBuffer               // [d, nFF]
    public var postFFNNorm: FloatBuffer?        // [d]                (gemma3)

    init(attnNorm: FloatBuffer, wq: FloatBuffer, wk: FloatBuffer, wv: FloatBuffer, bq: FloatBuffer?, bk: FloatBuffer?,
         bv: FloatBuffer?, qNorm: FloatBuffer?, kNorm: FloatBuffer?, wo: FloatBuffer, postAttnNorm: FloatBuffer?,
         ffnNorm: FloatBuffer, wGate: FloatBuffer, wUp: FloatBuffer, wDown: FloatBuffer, postFFNNorm: FloatBuffer?) {
        self.attnNorm = attnNorm; self.wq = wq; self.wk = wk; self.wv = wv; self.bq = bq; self.bk = bk; self.bv = bv
        self.qNorm = qNorm; self.kNorm = kNorm; self.wo = wo; self.postAttnNorm = postAttnNorm; self.ffnNorm = ffnNorm
        self.wGate = wGate; self.wUp = wUp; self.wDown = wDown; self.postFFNNorm = postFFNNorm
    }
}

/// All weights of a model, dequantized at load (GGUF names as in llama.cpp's tensor map).
public final class ModelWeights: @unchecked Sendable {
    public let tokenEmbedding: FloatBuffer      // [vocab, d]
    public let outputNorm: FloatBuffer          // [d]
    /// LM head [vocab, d]; the same buffer as tokenEmbedding when tied.
    public let output: FloatBuffer
    public let layers: [LayerWeights]

    init(tokenEmbedding: FloatBuffer, outputNorm: FloatBuffer, output: FloatBuffer, layers: [LayerWeights]) {
        self.tokenEmbedding = tokenEmbedding; self.outputNorm = outputNorm; self.output = output; self.layers = layers
    }

    /// Loads and dequantizes every tensor the config needs, checking each shape.
    public static func load(from f: GGUFFile, config c: ModelConfig) throws -> ModelWeights {
        func get(_ name: String, _ shape: [Int]) throws -> FloatBuffer {
            guard let t = f.tensor(name) else { throw ModelError.missingTensor(path: f.path, name: name) }
            // GGUF dims are ggml order (fastest first); shapes here are PyTorch order [rows, cols].
            let torchShape = Array(t.dims.reversed())
            guard torchShape == shape else { throw ModelError.tensorShape(path: f.path, name: name, expected: shape, found: torchShape) }
            return FloatBuffer(try f.dequantize(t))
        }
        func opt(_ name: String, _ shape: [Int]) throws -> FloatBuffer? { f.tensor(name) == nil ? nil : try get(name, shape) }
        let d = c.nEmbd
        let embed = try get("token_embd.weight", [c.vocabSize, d])
        let outNorm = try get("output_norm.weight", [d])
        let output = c.tiedOutput ? embed : try get("output.weight", [c.vocabSize, d])
        var layers: [LayerWeights] = []
        for l in 0..<c.nLayers {
            let p = "blk.\(l)."
            let qkvBias = c.hasQKVBias
            layers.append(LayerWeights(
                attnNorm: try get(p + "attn_norm.weight", [d]),
                wq: try get(p + "attn_q.weight", [c.qDim, d]),
                wk: try get(p + "attn_k.weight", [c.kvDim, d]),
                wv: try get(p + "attn_v.weight", [c.kvDim, d]),
                bq: qkvBias ? try get(p + "attn_q.bias", [c.qDim]) : try opt(p + "attn_q.bias", [c.qDim]),
                bk: qkvBias ? try get(p + "attn_k.bias", [c.kvDim]) : try opt(p + "attn_k.bias", [c.kvDim]),
                bv: qkvBias ? try get(p + "attn_v.bias", [c.kvDim]) : try opt(p + "attn_v.bias", [c.kvDim]),
                qNorm: c.hasQKNorm ? try get(p + "attn_q_norm.weight", [c.headDim]) : nil,
                kNorm: c.hasQKNorm ? try get(p + "attn_k_norm.weight", [c.headDim]) : nil,
                wo: try get(p + "attn_output.weight", [d, c.qDim]),
                postAttnNorm: c.hasPostNorms ? try get(p + "post_attention_norm.weight", [d]) : nil,
                ffnNorm: try get(p + "ffn_norm.weight", [d]),
                wGate: try get(p + "ffn_gate.weight", [c.nFF, d]),
                wUp: try get(p + "ffn_up.weight", [c.nFF, d]),
                wDown: try get(p + "ffn_down.weight", [d, c.nFF]),
                postFFNNorm: c.hasPostNorms ? try get(p + "post_ffw_norm.weight", [d]) : nil))
        }
        return ModelWeights(tokenEmbedding: embed, outputNorm: outNorm, output: output, layers: layers)
    }
}
