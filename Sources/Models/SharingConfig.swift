import Basics
import Foundation

/// Which layers share attention, as a file (`lisa recommend` writes it; `lisa eval --sharing` and
/// `lisa train --config` read it).
/// Layer indices are 0-based (FIGURES.md C1); `source` is the layer whose effective matrix is reused.
public struct SharingConfig: Codable, Sendable, Equatable {
    public enum Mode: String, Codable, Sendable, CaseIterable {
        case standard, ds, lisa

        public init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            let s = try c.decode(String.self)
            guard let m = Mode(rawValue: s) else {
                throw DecodingError.dataCorruptedError(
                    in: c,
                    debugDescription:
                        "is \(s.debugDescription), not one of the modes "
                        + "\(Mode.allCases.map(\.rawValue).joined(separator: ", "))"
                )
            }
            self = m
        }
    }

    public struct Layer: Codable, Sendable, Equatable {
        public let index: Int
        public let mode: Mode
        /// The front layer for ds/lisa (always index − 1: DS chains through n − 1, C6); nil for standard.
        public let source: Int?
        public let reason: String
        public init(index: Int, mode: Mode, source: Int?, reason: String) {
            self.index = index; self.mode = mode; self.source = source; self.reason = reason
        }
    }

    public let modelSHA256: String
    public let arch: String
    public let nLayers: Int
    public let layers: [Layer]

    enum CodingKeys: String, CodingKey { case modelSHA256 = "model_sha256", arch, nLayers = "n_layers", layers }

    public init(modelSHA256: String, arch: String, nLayers: Int, layers: [Layer]) {
        self.modelSHA256 = modelSHA256; self.arch = arch; self.nLayers = nLayers; self.layers = layers
    }

    public var shared: [Layer] { layers.filter { $0.mode != .standard } }
    /// The layers that run LiSA (trained alignment FFN + low-rank difference).
    public var lisaLayers: [Layer] { layers.filter { $0.mode == .lisa } }

    /// Compact JSON (sorted keys), e.g. for a checkpoint's metadata.
    public var json: String {
        CanonicalJSON.string(self)
    }

    /// Checks the config on its own; `path` names the file in the error.
    public func validate(path: String) throws {
        func bad(_ r: String) -> ModelError { .badSharingConfig(path: path, reason: r) }
        guard nLayers > 0 else { throw bad("n_layers must be positive, not \(nLayers)") }
        var seen = Set<Int>()
        for l in layers {
            guard (0..<nLayers).contains(l.index) else {
                throw bad("layer \(l.index) lies outside the model's layers 0..<\(nLayers) (0-based)")
            }
            guard seen.insert(l.index).inserted else { throw bad("layer \(l.index) is listed twice") }
            switch l.mode {
            case .standard:
                guard l.source == nil else { throw bad("layer \(l.index) is standard but names a source layer") }
            case .ds, .lisa:
                guard l.index > 0 else { throw bad("layer 0 cannot share: it has no front layer") }
                guard let s = l.source else {
                    throw bad("layer \(l.index) shares (\(l.mode.rawValue)) but names no source layer")
                }
                guard s < l.index else {
                    throw bad("layer \(l.index) points at layer \(s), which is not an earlier layer")
                }
                guard s == l.index - 1 else {
                    throw bad(
                        "layer \(l.index) points at layer \(s); sharing reuses the front layer \(l.index - 1)'s "
                            + "effective matrix (chained, FIGURES.md C6)"
                    )
                }
            }
        }
    }

    /// Reads and validates a config; with `modelPath`, also checks it was made for that file.
    public static func load(path: String, modelPath: String? = nil) throws -> SharingConfig {
        let c: SharingConfig
        do {
            c = try CanonicalJSON.decoder().decode(
                SharingConfig.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch let e as DecodingError {
            throw ModelError.badSharingConfig(path: path, reason: decodingReason(e))
        } catch {
            throw ModelError.badSharingConfig(
                path: path, reason: "it cannot be read: \(FileProblem.reading(path, error))")
        }
        try c.validate(path: path)
        if let modelPath {
            let sum = try SHA256.hex(ofFile: modelPath)
            guard sum == c.modelSHA256 else {
                throw ModelError.badSharingConfig(
                    path: path,
                    reason: "it was made for a model with SHA-256 \(c.modelSHA256), but \(modelPath) has \(sum)")
            }
        }
        return c
    }

    /// The attention policies the forward pass runs: ds → DS; lisa layers need trained weights and are
    /// run as DS here (DS is LiSA's training-free lower bound, §5.6).
    public var policies: AttentionPolicies {
        AttentionPolicies(
            Dictionary(uniqueKeysWithValues: shared.map { ($0.index, AttentionPolicy.directShare(headMap: nil)) }))
    }

    public func write(to path: String) throws {
        try writeAtomically(CanonicalJSON.data(self, pretty: true), to: path)
    }
}

/// A decoding error as a short reason for a sentence ("the field \"layers[0].index\" should be an integer").
public func decodingReason(_ e: DecodingError) -> String {
    func field(_ path: [CodingKey], _ last: CodingKey? = nil) -> String {
        (path + (last.map { [$0] } ?? [])).map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            .joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
    }
    func found(_ c: DecodingError.Context) -> String {
        for kind in ["an array", "a dictionary", "a string", "a number", "a bool", "null"]
        where c.debugDescription.contains("found \(kind)") {
            return ", not " + (kind == "a dictionary" ? "a JSON object" : kind)
        }
        return ""
    }
    switch e {
    case .keyNotFound(let k, let c): return "the field \"\(field(c.codingPath, k))\" is missing"
    case .typeMismatch(let t, let c) where c.codingPath.isEmpty:
        return "the top level should be \(typeInWords(t))\(found(c))"
    case .typeMismatch(let t, let c), .valueNotFound(let t, let c):
        return "the field \"\(field(c.codingPath))\" should be \(typeInWords(t))\(found(c))"
    case .dataCorrupted(let c) where c.codingPath.isEmpty: return "it is not valid JSON (\(c.debugDescription))"
    case .dataCorrupted(let c): return "the field \"\(field(c.codingPath))\" \(c.debugDescription)"
    @unknown default: return "\(e)"
    }
}

/// JSON and YAML words for the Swift types configs decode.
public func typeInWords(_ type: Any.Type) -> String {
    switch String(describing: type) {
    case "String": return "a string"
    case "Int", "Int64", "UInt64", "Int32", "UInt32": return "an integer"
    case "Bool": return "a boolean (true or false)"
    case "Double", "Float": return "a number"
    case let s where s.hasPrefix("Array") || s == "Sequence": return "a list"
    case "Mapping": return "a mapping (key: value pairs)"
    case let s where s.hasPrefix("Dictionary"): return "an object (key: value pairs)"
    default: return "a \(type)"
    }
}
