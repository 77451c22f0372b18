import Foundation
import GGUF
import Numerics

/// One decoder block's weights. Linear weights are [out, in] row-major `WeightMatrix`es (in their GGUF blocks
/// or Float32, per `WeightFormat`); norms and biases are Float32.
public final class LayerWeights: @unchecked Sendable {
    public var attnNorm: FloatBuffer  // [d]
    public var wq: WeightMatrix  // [nHeads·headDim, d]
    public var wk: WeightMatrix  // [nKV·headDim, d]
    public var wv: WeightMatrix  // [nKV·headDim, d]
    public var bq: FloatBuffer?  // [nHeads·headDim]   (qwen2)
    public var bk: FloatBuffer?  // [nKV·headDim]      (qwen2)
    public var bv: FloatBuffer?  // [nKV·headDim]      (qwen2)
    public var qNorm: FloatBuffer?  // [headDim]          (gemma3)
    public var kNorm: FloatBuffer?  // [headDim]          (gemma3)
    public var wo: WeightMatrix  // [d, nHeads·headDim]
    public var postAttnNorm: FloatBuffer?  // [d]                (gemma3)
    public var ffnNorm: FloatBuffer  // [d]
    public var wGate: WeightMatrix  // [nFF, d]
    public var wUp: WeightMatrix  // [nFF, d]
    public var wDown: WeightMatrix  // [d, nFF]
    public var postFFNNorm: FloatBuffer?  // [d]                (gemma3)

    init(
        attnNorm: FloatBuffer, wq: WeightMatrix, wk: WeightMatrix, wv: WeightMatrix, bq: FloatBuffer?, bk: FloatBuffer?,
        bv: FloatBuffer?, qNorm: FloatBuffer?, kNorm: FloatBuffer?, wo: WeightMatrix, postAttnNorm: FloatBuffer?,
        ffnNorm: FloatBuffer, wGate: WeightMatrix, wUp: WeightMatrix, wDown: WeightMatrix, postFFNNorm: FloatBuffer?
    ) {
        self.attnNorm = attnNorm; self.wq = wq; self.wk = wk; self.wv = wv; self.bq = bq; self.bk = bk; self.bv = bv
        self.qNorm = qNorm; self.kNorm = kNorm; self.wo = wo; self.postAttnNorm = postAttnNorm; self.ffnNorm = ffnNorm
        self.wGate = wGate; self.wUp = wUp; self.wDown = wDown; self.postFFNNorm = postFFNNorm
    }
}

/// All weights of a model (GGUF names as in llama.cpp's tensor map).
public final class ModelWeights: @unchecked Sendable {
    public let tokenEmbedding: WeightMatrix  // [vocab, d]
    public let outputNorm: FloatBuffer  // [d]
    /// LM head [vocab, d]; the same matrix as tokenEmbedding when tied.
    public let output: WeightMatrix
    public let layers: [LayerWeights]
    public let format: WeightFormat

    init(
        tokenEmbedding: WeightMatrix, outputNorm: FloatBuffer, output: WeightMatrix, layers: [LayerWeights],
        format: WeightFormat
    ) {
        self.tokenEmbedding = tokenEmbedding; self.outputNorm = outputNorm; self.output = output; self.layers = layers
        self.format = format
    }

    /// Every distinct weight matrix (the tied head counted once).
    /// Parameters of the model: every matrix, norm and bias (the base of "% of the base model").
    public var parameterCount: Int {
        var n = matrices.reduce(0) { $0 + $1.count } + outputNorm.count
        for l in layers {
            n += l.attnNorm.count + l.ffnNorm.count
            n += [l.bq, l.bk, l.bv, l.qNorm, l.kNorm, l.postAttnNorm, l.postFFNNorm].reduce(0) { $0 + ($1?.count ?? 0) }
        }
        return n
    }

    public var matrices: [WeightMatrix] {
        var all = [tokenEmbedding]
        if output !== tokenEmbedding { all.append(output) }
        for l in layers { all += [l.wq, l.wk, l.wv, l.wo, l.wGate, l.wUp, l.wDown] }
        return all
    }

    /// Bytes of the weights as held: the matrices (mapped blocks or Float32) and the Float32 vectors.
    public var byteCount: Int {
        var n = matrices.reduce(0) { $0 + $1.bytes } + outputNorm.count * 4
        for l in layers {
            let v: [FloatBuffer?] = [
                l.attnNorm, l.bq, l.bk, l.bv, l.qNorm, l.kNorm, l.postAttnNorm, l.ffnNorm, l.postFFNNorm,
            ]
            n += v.reduce(0) { $0 + ($1?.count ?? 0) * 4 }
        }
        return n
    }

    /// Loads every tensor the config needs, checking each shape: matrices stay in their GGUF blocks
    /// (`.quantized`) or are dequantized to Float32 (`.f32`); vectors are always Float32.
    public static func load(
        from f: GGUFFile, config c: ModelConfig, format: WeightFormat = .quantized
    ) throws -> ModelWeights {
        func info(_ name: String, _ shape: [Int]) throws -> GGUFTensorInfo {
            guard let t = f.tensor(name) else { throw ModelError.missingTensor(path: f.path, name: name) }
            // GGUF dims are ggml order (fastest first); shapes here are PyTorch order [rows, cols].
            let torchShape = Array(t.dims.reversed())
            guard torchShape == shape else {
                throw ModelError.tensorShape(path: f.path, name: name, expected: shape, found: torchShape)
            }
            return t
        }
        func get(_ name: String, _ shape: [Int]) throws -> FloatBuffer {
            FloatBuffer(try f.dequantize(try info(name, shape)))
        }
        func matrix(_ name: String, _ shape: [Int]) throws -> WeightMatrix {
            let t = try info(name, shape)
            if format == .f32 || t.type == .f32 {
                return WeightMatrix(name: name, rows: shape[0], cols: shape[1], f32: FloatBuffer(try f.dequantize(t)))
            }
            do {
                return try WeightMatrix(
                    name: name, rows: shape[0], cols: shape[1], type: t.type,
                    blocks: f.rawBytes(t).baseAddress!, owner: f.file)
            } catch let ModelError.unsupportedWeightType(n, ty) {
                throw ModelError.badHyperParameter(
                    path: f.path, key: n,
                    reason: "is stored as \(ty), which has no quantized kernel (load it with --weights f32)")
            }
        }
        func opt(_ name: String, _ shape: [Int]) throws -> FloatBuffer? {
            f.tensor(name) == nil ? nil : try get(name, shape)
        }
        let d = c.nEmbd
        let embed = try matrix("token_embd.weight", [c.vocabSize, d])
        let outNorm = try get("output_norm.weight", [d])
        let output = c.tiedOutput ? embed : try matrix("output.weight", [c.vocabSize, d])
        var layers: [LayerWeights] = []
        for l in 0..<c.nLayers {
            let p = "blk.\(l)."
            let qkvBias = c.hasQKVBias
            layers.append(
                LayerWeights(
                    attnNorm: try get(p + "attn_norm.weight", [d]),
                    wq: try matrix(p + "attn_q.weight", [c.qDim, d]),
                    wk: try matrix(p + "attn_k.weight", [c.kvDim, d]),
                    wv: try matrix(p + "attn_v.weight", [c.kvDim, d]),
                    bq: qkvBias ? try get(p + "attn_q.bias", [c.qDim]) : try opt(p + "attn_q.bias", [c.qDim]),
                    bk: qkvBias ? try get(p + "attn_k.bias", [c.kvDim]) : try opt(p + "attn_k.bias", [c.kvDim]),
                    bv: qkvBias ? try get(p + "attn_v.bias", [c.kvDim]) : try opt(p + "attn_v.bias", [c.kvDim]),
                    qNorm: c.hasQKNorm ? try get(p + "attn_q_norm.weight", [c.headDim]) : nil,
                    kNorm: c.hasQKNorm ? try get(p + "attn_k_norm.weight", [c.headDim]) : nil,
                    wo: try matrix(p + "attn_output.weight", [d, c.qDim]),
                    postAttnNorm: c.hasPostNorms ? try get(p + "post_attention_norm.weight", [d]) : nil,
                    ffnNorm: try get(p + "ffn_norm.weight", [d]),
                    wGate: try matrix(p + "ffn_gate.weight", [c.nFF, d]),
                    wUp: try matrix(p + "ffn_up.weight", [c.nFF, d]),
                    wDown: try matrix(p + "ffn_down.weight", [d, c.nFF]),
                    postFFNNorm: c.hasPostNorms ? try get(p + "post_ffw_norm.weight", [d]) : nil))
        }
        return ModelWeights(tokenEmbedding: embed, outputNorm: outNorm, output: output, layers: layers, format: format)
    }
}
