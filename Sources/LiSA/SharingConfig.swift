import Foundation
import Models

/// LiSA's use of the one sharing-config type (Models/SharingConfig.swift): building a config from a
/// layer list (`lisa train --layers 7,8,9`) and the extra checks training needs.
extension SharingConfig {
    /// LiSA on each listed layer, sharing from the layer before it.
    public init(lisaLayers: [Int], nLayers: Int? = nil, modelSHA256: String = "", arch: String = "") {
        let sorted = lisaLayers.sorted()
        self.init(
            modelSHA256: modelSHA256, arch: arch, nLayers: nLayers ?? ((sorted.last ?? 0) + 1),
            layers: sorted.map { Layer(index: $0, mode: .lisa, source: $0 - 1, reason: "listed with --layers") })
    }

    /// The local phase feeds each LiSA layer the teacher's A_{n−1}, so it needs at least one LiSA layer,
    /// each sharing from its front layer, and the front layer's mask type must match when sequences
    /// exceed the sliding window (FIGURES.md Fig 7 defaults).
    public func validateForTraining(config c: ModelConfig, seqLen: Int) throws {
        guard !lisaLayers.isEmpty else { throw CheckpointError.config("The sharing config lists no lisa layers.") }
        for l in lisaLayers {
            guard (1..<c.nLayers).contains(l.index) else {
                throw CheckpointError.config("Layer \(l.index) is not in 1..<\(c.nLayers).")
            }
            let s = l.source ?? -1
            guard s == l.index - 1 else {
                throw CheckpointError.config(
                    "Layer \(l.index): source must be its front layer \(l.index - 1), got \(s).")
            }
            if c.isSlidingLayer[l.index] != c.isSlidingLayer[s], let w = c.slidingWindow, seqLen > w {
                throw CheckpointError.config(
                    "Layer \(l.index)'s attention type differs from layer \(s)'s (sliding window \(w) vs global) and "
                        + "sequences of \(seqLen) exceed the window: pick another layer."
                )
            }
        }
    }
}
