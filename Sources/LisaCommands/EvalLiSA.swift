import Foundation
import GGUF
import LiSA
import Models

/// `lisa eval --lisa ckpt`: a LiSA checkpoint's layers as score providers; a ds-lora checkpoint's adapters
/// merged into the weights with DS (head for head) on its shared layers. A checkpoint made for another
/// model is refused (CheckpointError.wrongModel names both SHA-256s).
func lisaProviders(checkpoint path: String, model m: LoadedModel, modelPath: String,
                   policies: inout AttentionPolicies) throws -> LayerScoreProviders {
    let url = URL(fileURLWithPath: path)
    let sha = try SHA256.hex(ofFile: modelPath)
    let (_, meta) = try Safetensors.read(url)
    if meta["method"] == "ds-lora" {
        let sharing = try DSLoRATrainer.merge(checkpoint: url, into: m.transformer, modelSHA: sha)
        for l in sharing.shared { policies.byLayer[l.index] = .directShare(headMap: nil) }
        return [:]
    }
    return try LiSARuntime.load(checkpoint: url, model: m.transformer, modelSHA: sha).providers
}
