import Basics
import Foundation
import Models

/// A `lisa train` checkpoint opened for inference on its base model (`lisa eval --lisa`, generation): a LiSA
/// checkpoint's layers become score providers (low-rank K cache); a ds-lora one's adapters are merged into the
/// weights, and its shared layers run DS head for head. A checkpoint made for another model is refused
/// (CheckpointError.wrongModel names both SHA-256s).
public struct TrainedCheckpoint {
    /// The file's SHA-256 and method (and the NF flag the caller chose), as runs record it.
    public let identity: CheckpointIdentity
    public let providers: LayerScoreProviders
    /// The policies the checkpoint adds (DS on a ds-lora checkpoint's shared layers; none for LiSA).
    public let policies: AttentionPolicies

    /// Opens `path` for `model`, loaded from `modelPath` (its SHA-256 must be the one the checkpoint names).
    /// A ds-lora checkpoint changes `model`'s weights.
    public static func open(_ path: String, model: LoadedModel, modelPath: String, nf: Bool) throws -> TrainedCheckpoint
    {
        let url = URL(fileURLWithPath: path)
        let modelSHA = try SHA256.hex(ofFile: modelPath)
        let (_, meta) = try Safetensors.read(url)
        let sha = try SHA256.hex(ofFile: path)
        if meta["method"] == "ds-lora" {
            let sharing = try DSLoRATrainer.merge(checkpoint: url, into: model.transformer, modelSHA: modelSHA)
            return TrainedCheckpoint(
                identity: CheckpointIdentity(sha256: sha, method: "ds-lora", nf: nf), providers: [:],
                policies: sharing.policies)
        }
        let runtime = try LiSARuntime.load(checkpoint: url, model: model.transformer, modelSHA: modelSHA)
        return TrainedCheckpoint(
            identity: CheckpointIdentity(sha256: sha, method: "lisa", nf: nf), providers: runtime.providers,
            policies: AttentionPolicies())
    }
}
