/// What a layer does for its attention probabilities (the paper's Section 4 perturbations).
public enum AttentionPolicy: Equatable, Sendable, Codable {
    /// The layer's own softmax(QKᵀ/√d + mask).
    case standard
    /// Direct sharing (DS): reuse layer n−1's probabilities. Query head h takes layer n−1's head
    /// `headMap[h]` (nil: head for head, "position-based").
    case directShare(headMap: [Int]?)
    /// Uniform attention: 1/l over the visible (causal, windowed) prefix.
    case uniform

    public var needsKeys: Bool { self == .standard }
}

/// A policy per layer; layers not listed are standard.
public struct AttentionPolicies: Equatable, Sendable, Codable {
    public var byLayer: [Int: AttentionPolicy]
    public init(_ byLayer: [Int: AttentionPolicy] = [:]) { self.byLayer = byLayer }
    public subscript(layer: Int) -> AttentionPolicy { byLayer[layer] ?? .standard }
    public var isAllStandard: Bool { byLayer.values.allSatisfy { $0 == .standard } }

    /// Checks the policies against a model: DS needs a previous layer and valid head indices.
    public func validate(nLayers: Int, nHeads: Int) throws {
        for (l, p) in byLayer {
            guard l >= 0, l < nLayers else { throw ModelError.badPolicy(layer: l, reason: "the model has layers 0..<\(nLayers)") }
            if case let .directShare(map) = p {
                guard l > 0 else { throw ModelError.badPolicy(layer: l, reason: "layer 0 has no previous layer to share from") }
                if let map {
                    guard map.count == nHeads, map.allSatisfy({ (0..<nHeads).contains($0) }) else {
                        throw ModelError.badPolicy(layer: l, reason: "the head map must list \(nHeads) heads in 0..<\(nHeads)")
                    }
                }
            }
        }
    }
}
