import Basics
import Foundation
import Models
import Numerics

/// The DS_LoRA baseline (Table 2): the shared layers run direct sharing (head for head) and get LoRA
/// adapters on W^V, W^O and the three FFN matrices, trained with the LM loss only through the whole network
/// (the joint backward of TrainingGraphBackward.swift), same data and steps as LiSA.
public final class DSLoRATrainer {
    public let model: Transformer
    public let sharing: SharingConfig
    public let options: LiSATrainOptions
    public let rank: Int
    public let modules: TrainingModules
    public let optimizer: AdamW
    let grads: ModuleGrads
    let flatGrads: [FloatBuffer]

    /// The LoRA rank whose trainable parameter count comes closest to `lisaParameters` on |S| layers.
    public static func matchedRank(lisaParameters: Int, layers: Int, config c: ModelConfig) -> Int {
        let per = LayerLoRA.parametersPerRank(dim: c.nEmbd, kvDim: c.kvDim, qDim: c.qDim, ffn: c.nFF) * max(layers, 1)
        return max(1, Int((Double(lisaParameters) / Double(per)).rounded()))
    }

    public init(model: Transformer, sharing: SharingConfig, options: LiSATrainOptions, rank: Int) {
        self.model = model; self.sharing = sharing; self.options = options; self.rank = rank
        let c = model.config
        var lora: [Int: LayerLoRA] = [:]
        for l in sharing.shared {
            let ad = LayerLoRA(rank: rank, dim: c.nEmbd, kvDim: c.kvDim, qDim: c.qDim, ffn: c.nFF)
            var rng = GaussianRNG(seed: options.seed &* 1_000_003 &+ UInt64(l.index))
            for t in LayerLoRA.Target.allCases { ad[t].initialize(rng: &rng) }
            lora[l.index] = ad
        }
        modules = TrainingModules(ds: Set(sharing.shared.map(\.index)), lora: lora)
        grads = ModuleGrads(for: modules)
        flatGrads = grads.buffers
        let named = tensorNamesOf(modules)
        optimizer = AdamW(params: named.map(\.buffer), decay: named.map { _ in true }, settings: options.optimizer)
    }

    public var parameterCount: Int { modules.lora.values.reduce(0) { $0 + $1.parameterCount } }

    /// Checkpoint names of the trainable tensors, in optimizer order (same order as `ModuleGrads.buffers`).
    public var tensorNames: [(name: String, buffer: FloatBuffer, shape: [Int])] { tensorNamesOf(modules) }

    /// One LM-loss step over a batch (mean next-token cross-entropy); with `update`, backward and AdamW.
    @discardableResult
    public func step(batch: [[Int]], update: Bool = true) throws -> LossParts {
        for g in flatGrads { g.zero() }
        let graph = TrainingGraph(model: model, modules: modules)
        var lm = 0.0
        for tokens in batch {
            try graph.forward(tokens)
            lm += graph.lmLossAndGradient()
            if update { graph.backward(lmScale: 1 / Float(batch.count), scoreGrads: [:], grads: grads) }
        }
        if update { optimizer.update(grads: flatGrads) }
        lm /= Double(batch.count)
        return LossParts(total: lm, kd: 0, lm: lm)
    }

    func metadata(modelSHA: String) -> [String: String] {
        [
            "format": "lisa-ds-lora-v1", "method": "ds-lora", "sharing": sharing.json, "lora_rank": String(rank),
            "lora_targets": LayerLoRA.Target.allCases.map(\.rawValue).joined(separator: ","), "lora_scale": "1",
            "base_model_sha256": modelSHA, "step": String(optimizer.step),
        ]
    }

    public func save(to url: URL, modelSHA: String) throws {
        try TrainerCheckpoint.save(tensorNames, optimizer: optimizer, metadata: metadata(modelSHA: modelSHA), to: url)
    }

    public func load(from url: URL, modelSHA: String) throws {
        try TrainerCheckpoint.load(
            tensorNames, optimizer: optimizer, from: url, modelSHA: modelSHA,
            mine: metadata(modelSHA: modelSHA), mustMatch: ["method", "sharing", "lora_rank"])
    }

    /// Folds trained adapters into a model's weights (W += s·B·A) so the ordinary forward (with DS policies
    /// on the shared layers) runs DS_LoRA: used by `lisa eval --lisa` on a ds-lora checkpoint.
    public static func merge(checkpoint url: URL, into model: Transformer, modelSHA: String) throws -> SharingConfig {
        let (tensors, meta) = try Safetensors.read(url)
        let p = url.path
        guard let sha = meta["base_model_sha256"] else {
            throw CheckpointError.malformed(path: p, reason: "no base_model_sha256 in __metadata__")
        }
        guard sha == modelSHA else { throw CheckpointError.wrongModel(path: p, expected: modelSHA, found: sha) }
        guard let sj = meta["sharing"],
            let sharing = try? CanonicalJSON.decoder().decode(SharingConfig.self, from: Data(sj.utf8)),
            let rank = Int(meta["lora_rank"] ?? "")
        else {
            throw CheckpointError.malformed(path: p, reason: "sharing or lora_rank in __metadata__ cannot be read")
        }
        try sharing.validate(path: p)
        let c = model.config
        guard sharing.nLayers == c.nLayers else {
            throw CheckpointError.mismatch(
                path: p, field: "n_layers", checkpoint: String(sharing.nLayers), requested: String(c.nLayers))
        }
        for l in sharing.shared {
            let w = model.weights.layers[l.index]
            // the merged matrices are changed, so they are held as Float32 from here on
            let targets: [(LayerLoRA.Target, WeightMatrix, Int, Int)] = [
                (.v, w.wv, c.nEmbd, c.kvDim), (.o, w.wo, c.qDim, c.nEmbd),
                (.gate, w.wGate, c.nEmbd, c.nFF), (.up, w.wUp, c.nEmbd, c.nFF), (.down, w.wDown, c.nFF, c.nEmbd),
            ]
            for (t, W, inDim, outDim) in targets {
                let an = "layers.\(l.index).lora.\(t.rawValue).a", bn = "layers.\(l.index).lora.\(t.rawValue).b"
                guard let A = tensors[an], A.shape == [rank, inDim] else {
                    throw CheckpointError.missingTensor(path: p, name: an)
                }
                guard let B = tensors[bn], B.shape == [outDim, rank] else {
                    throw CheckpointError.missingTensor(path: p, name: bn)
                }
                // W[out, in] += B[out, r]·A[r, in]
                A.values.withUnsafeBufferPointer { a in
                    B.values.withUnsafeBufferPointer { b in
                        BLAS.gemmNN(
                            m: outDim, n: inDim, k: rank, a: b.baseAddress!, lda: rank, b: a.baseAddress!, ldb: inDim,
                            beta: 1, c: W.materializeFloat32().pointer, ldc: inDim)
                    }
                }
            }
        }
        return sharing
    }
}

func tensorNamesOf(_ m: TrainingModules) -> [(name: String, buffer: FloatBuffer, shape: [Int])] {
    m.lisa.keys.sorted().flatMap { n in
        m.lisa[n]!.params.tensors.map { ("layers.\(n).\($0.name)", $0.buffer, $0.shape) }
    }
        + m.lora.keys.sorted().flatMap { n in m.lora[n]!.tensors.map { ("layers.\(n).\($0.name)", $0.buffer, $0.shape) }
        }
}

/// Saving and restoring trainable tensors with their AdamW moments and step (exact resume).
enum TrainerCheckpoint {
    static func save(
        _ named: [(name: String, buffer: FloatBuffer, shape: [Int])], optimizer: AdamW,
        metadata: [String: String], to url: URL
    ) throws {
        var list: [(name: String, shape: [Int], values: UnsafeBufferPointer<Float>)] = []
        for (k, t) in named.enumerated() {
            list.append((t.name, t.shape, UnsafeBufferPointer(start: t.buffer.pointer, count: t.buffer.count)))
            list.append(
                ("adam.m." + t.name, t.shape, UnsafeBufferPointer(start: optimizer.m[k].pointer, count: t.buffer.count))
            )
            list.append(
                ("adam.v." + t.name, t.shape, UnsafeBufferPointer(start: optimizer.v[k].pointer, count: t.buffer.count))
            )
        }
        try Safetensors.write(list, metadata: metadata, to: url)
    }

    static func load(
        _ named: [(name: String, buffer: FloatBuffer, shape: [Int])], optimizer: AdamW, from url: URL,
        modelSHA: String, mine: [String: String], mustMatch: [String], defaults: [String: String] = [:]
    ) throws {
        let (tensors, meta) = try Safetensors.read(url)
        let p = url.path
        guard let sha = meta["base_model_sha256"] else {
            throw CheckpointError.malformed(path: p, reason: "no base_model_sha256 in __metadata__")
        }
        guard sha == modelSHA else { throw CheckpointError.wrongModel(path: p, expected: modelSHA, found: sha) }
        for key in mustMatch {
            let theirs = meta[key] ?? defaults[key]  // `defaults`: keys older checkpoints lack
            guard theirs != mine[key] else { continue }
            throw CheckpointError.mismatch(
                path: p, field: key, checkpoint: theirs ?? "nothing", requested: mine[key] ?? "nothing")
        }
        for (k, t) in named.enumerated() {
            for (prefix, dst) in [("", t.buffer), ("adam.m.", optimizer.m[k]), ("adam.v.", optimizer.v[k])] {
                guard let src = tensors[prefix + t.name], src.values.count == dst.count else {
                    throw CheckpointError.missingTensor(path: p, name: prefix + t.name)
                }
                src.values.withUnsafeBufferPointer { dst.pointer.update(from: $0.baseAddress!, count: dst.count) }
            }
        }
        optimizer.step = Int(meta["step"] ?? "0") ?? 0
    }
}
