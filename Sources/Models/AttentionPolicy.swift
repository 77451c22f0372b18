import Foundation

/// What a layer does for its attention probabilities (the paper's Section 4 perturbations). Stored, looked up and
/// written to files as its `token` ("standard", "ds", "ds:1,0,3,2", "uniform"), never as Swift's text of the case,
/// so renaming a case cannot change a stored run's identity.
public enum AttentionPolicy: Equatable, Sendable, Codable {
    /// The layer's own softmax(QKᵀ/√d + mask).
    case standard
    /// Direct sharing (DS): reuse layer n−1's probabilities. Query head h takes layer n−1's head
    /// `headMap[h]` (nil: head for head, "position-based").
    case directShare(headMap: [Int]?)
    /// Uniform attention: 1/l over the visible (causal, windowed) prefix.
    case uniform

    public var needsKeys: Bool { self == .standard }

    /// The canonical name: "standard", "uniform", "ds" (head for head) or "ds:" and the head map, comma-separated.
    public var token: String {
        switch self {
        case .standard: return "standard"
        case .uniform: return "uniform"
        case .directShare(nil): return "ds"
        case .directShare(let map?): return "ds:" + map.map(String.init).joined(separator: ",")
        }
    }

    /// Reads a `token`; also the text runs stored before tokens existed ("directShare(headMap: nil)"; migration
    /// v4 rewrites those in a database, this reads them in `--out` files).
    public init(token: String) throws {
        switch token {
        case "standard": self = .standard
        case "uniform": self = .uniform
        case "ds", "directShare(headMap: nil)": self = .directShare(headMap: nil)
        default:
            let legacy = token.hasPrefix("directShare(headMap: Optional([") && token.hasSuffix("]))")
            let list =
                token.hasPrefix("ds:")
                ? token.dropFirst(3)
                : legacy ? token.dropFirst(31).dropLast(3) : nil
            guard let list, !list.isEmpty else { throw ModelError.unknownPolicy(token: token) }
            let heads = list.split(separator: ",", omittingEmptySubsequences: false)
                .map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard heads.allSatisfy({ ($0 ?? -1) >= 0 }) else { throw ModelError.unknownPolicy(token: token) }
            self = .directShare(headMap: heads.map { $0! })
        }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        let token = try c.decode(String.self)
        do { try self.init(token: token) } catch {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "\(error)")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(token)
    }
}

/// A policy per layer; layers not listed are standard.
/// Written as an object 0-based layer → token, e.g. {"10": "ds", "11": "ds"} (keys sorted by the canonical encoder).
public struct AttentionPolicies: Equatable, Sendable, Codable {
    public var byLayer: [Int: AttentionPolicy]
    public init(_ byLayer: [Int: AttentionPolicy] = [:]) { self.byLayer = byLayer }

    /// 0-based layer (as text, the JSON object's key) → token: what a run stores and looks up.
    public var tokens: [String: String] {
        byLayer.reduce(into: [String: String]()) { $0[String($1.key)] = $1.value.token }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        var by: [Int: AttentionPolicy] = [:]
        for (k, v) in try c.decode([String: AttentionPolicy].self) {
            guard let l = Int(k) else {
                throw DecodingError.dataCorruptedError(
                    in: c, debugDescription: "the layer \"\(k)\" is not a 0-based index")
            }
            by[l] = v
        }
        byLayer = by
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(Dictionary(uniqueKeysWithValues: byLayer.map { (String($0.key), $0.value) }))
    }
    public subscript(layer: Int) -> AttentionPolicy { byLayer[layer] ?? .standard }
    public var isAllStandard: Bool { byLayer.values.allSatisfy { $0 == .standard } }

    /// Checks the policies against a model: DS needs a previous layer and valid head indices.
    public func validate(nLayers: Int, nHeads: Int) throws {
        for (l, p) in byLayer {
            guard l >= 0, l < nLayers else {
                throw ModelError.badPolicy(layer: l, reason: "the model has layers 0..<\(nLayers)")
            }
            if case let .directShare(map) = p {
                guard l > 0 else {
                    throw ModelError.badPolicy(layer: l, reason: "layer 0 has no previous layer to share from")
                }
                if let map {
                    guard map.count == nHeads, map.allSatisfy({ (0..<nHeads).contains($0) }) else {
                        throw ModelError.badPolicy(
                            layer: l, reason: "the head map must list \(nHeads) heads in 0..<\(nHeads)")
                    }
                }
            }
        }
    }
}
