import Basics
import Foundation

// A finished checkpoint's header and SHA-256, kept in a small JSON file beside it (X.safetensors → X.header.json).
// Checkpoints are generated output and stay out of git; the header file is committed with the evaluation runs,
// which name the checkpoint by that SHA-256. Table 2 reads a row's training method, FFN kind and trained-tensor
// sizes from it, so a report is rebuilt from the committed files on a machine that no longer holds the weights.

public struct CheckpointHeader: Codable, Equatable, Sendable {
    /// SHA-256 of the whole checkpoint file, as `lisa eval --lisa` records it.
    public var sha256: String
    public var bytes: Int
    /// The checkpoint's `__metadata__` (method, FFN kind, rank, layers, base model's SHA-256, …).
    public var metadata: [String: String]
    /// Tensor name → number of values.
    public var tensorCounts: [String: Int]

    /// The header of the checkpoint at `url` (read from the checkpoint itself).
    public init(checkpoint url: URL) throws {
        let (tensors, meta) = try Safetensors.read(url)
        sha256 = try SHA256.hex(ofFile: url.path)
        bytes = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? NSNumber)?.intValue ?? 0
        metadata = meta
        tensorCounts = tensors.mapValues(\.values.count)
    }

    /// Where the header file of the checkpoint at `checkpoint` lives: beside it, .safetensors → .header.json.
    public static func fileURL(for checkpoint: URL) -> URL {
        checkpoint.deletingPathExtension().appendingPathExtension("header.json")
    }

    /// Whether `path` names a header file rather than a checkpoint.
    public static func isHeaderFile(_ path: String) -> Bool { path.hasSuffix(".header.json") }

    /// The header from `path`: a header file as written by `write`, or a checkpoint.
    public static func read(_ path: String) throws -> CheckpointHeader {
        let url = URL(fileURLWithPath: path)
        guard isHeaderFile(path) else { return try CheckpointHeader(checkpoint: url) }
        guard let data = FileManager.default.contents(atPath: path) else { throw CheckpointError.missing(path: path) }
        do { return try CanonicalJSON.decoder().decode(CheckpointHeader.self, from: data) } catch {
            throw CheckpointError.malformedHeaderFile(path: path)
        }
    }

    /// Writes the header file beside `checkpoint` and returns its URL.
    @discardableResult
    public func write(besides checkpoint: URL) throws -> URL {
        let url = Self.fileURL(for: checkpoint)
        var data = CanonicalJSON.data(self, pretty: true)
        data.append(0x0A)
        try writeAtomically(data, to: url.path)
        return url
    }
}
