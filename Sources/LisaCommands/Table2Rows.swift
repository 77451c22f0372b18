import ArgumentParser
import Basics
import Foundation
import GGUF
import LiSA
import Models
import Studies

/// `--method` rows of `lisa table2` and `lisa table9`: each a sharing config or a trained checkpoint (or its
/// header file), with Table 2's parameter columns when a model is given.
struct Table2Rows {
    /// The GGUF model the parameter columns are counted on (nil: no parameter columns).
    let model: String?

    /// `model`'s attention shape and parameter count, which Table 2's parameter columns need.
    func modelShape() throws -> (shape: AttentionShape, total: Int)? {
        guard let model else { return nil }
        let f = try GGUFFile(path: model)
        let c = try ModelConfig.read(from: f)
        return (AttentionShape(d: c.nEmbd, h: c.nHeads, hKV: c.nKVHeads, dK: c.headDim),
                f.tensors.reduce(0) { $0 + $1.elementCount })
    }

    /// Table 2's parameter columns of a sharing config on `model` (all its shared layers run as DS).
    func dsShares(_ cfg: SharingConfig) throws -> ParameterShares? {
        guard let (shape, total) = try modelShape() else { return nil }
        let p = parameterColumns(shape, total: total, ds: cfg.shared.count)
        return ParameterShares(trained: p.trained, saved: p.saved)
    }

    /// A `lisa train` checkpoint's row from the checkpoint or its header file (X.header.json, beside the
    /// checkpoint and committed where it is not): its SHA-256, training method and FFN kind, and Table 2's parameter
    /// columns on `model`.
    func checkpointMethod(_ label: String, file: String, nf: Bool) throws -> Table2Method {
        let h = try CheckpointHeader.read(file)
        let shares = try modelShape().map { m in
            try checkpointColumns(
                metadata: h.metadata, tensorCounts: h.tensorCounts, shape: m.shape, total: m.total, path: file)
        }
        return Table2Method(
            label: label, checkpointSHA256: h.sha256, nf: nf, parameters: shares, trainedMethod: h.metadata["method"],
            trainedFFN: h.metadata["ffn"])
    }

    /// The rows of `--method` specs (LABEL=sharing:FILE, LABEL=lisa:FILE, LABEL=nf:FILE).
    func methods(_ specs: [String]) throws -> [Table2Method] {
        try specs.map { spec in
            let parts = spec.split(separator: "=", maxSplits: 1).map(String.init)
            let kindFile = parts.count == 2 ? parts[1].split(separator: ":", maxSplits: 1).map(String.init) : []
            guard parts.count == 2, !parts[0].isEmpty, kindFile.count == 2, !kindFile[1].isEmpty else {
                throw ValidationError(
                    "--method \"\(spec)\" is not LABEL=sharing:FILE, LABEL=lisa:FILE or LABEL=nf:FILE.")
            }
            let (label, kind, file) = (parts[0], kindFile[0], kindFile[1])
            guard label != "original" else {
                throw ValidationError("--method: the label \"original\" is the base model's.")
            }
            guard FileManager.default.fileExists(atPath: file) else {
                throw ValidationError("--method \(label): the file \(file) does not exist.")
            }
            switch kind {
            case "sharing":
                let cfg = try SharingConfig.load(path: file)
                return Table2Method(label: label, sharing: cfg.json, parameters: try dsShares(cfg))
            case "lisa", "nf":
                return try checkpointMethod(label, file: file, nf: kind == "nf")
            default:
                throw ValidationError("--method \(label): \"\(kind)\" is not sharing, lisa or nf.")
            }
        }
    }

}
