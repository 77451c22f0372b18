import Basics
import Foundation
import GGUF

/// Errors reading or matching a LiSA checkpoint, phrased for the user.
public enum CheckpointError: Error, CustomStringConvertible {
    case missing(path: String)
    case malformed(path: String, reason: String)
    case malformedHeaderFile(path: String)
    case missingTensor(path: String, name: String)
    case wrongModel(path: String, expected: String, found: String)
    case mismatch(path: String, field: String, checkpoint: String, requested: String)
    case config(String)

    public var description: String {
        switch self {
        case let .missing(p): return "There is no checkpoint at \(p) (no such file)."
        case let .malformed(p, r): return "\(p) is not a readable safetensors checkpoint: \(r)."
        case let .malformedHeaderFile(p):
            return "\(p) is not a checkpoint header file (JSON with sha256, bytes, metadata and tensorCounts, as "
                + "`lisa train` writes it beside a checkpoint)."
        case let .missingTensor(p, n): return "\(p) has no tensor named \(n)."
        case let .wrongModel(p, e, f):
            return "\(p) was trained for a different base model (its sha256 is \(f), this model's is \(e))."
        case let .mismatch(p, f, c, r): return "\(p) was written with \(f) = \(c), but this run asks for \(r)."
        case let .config(s): return s
        }
    }
}

/// The safetensors format, F32 only: 8-byte little-endian header length, a JSON header
/// {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {string: string}}, then the data.
public enum Safetensors {
    public struct Tensor { public var shape: [Int]; public var values: [Float] }

    public static func write(
        _ tensors: [(name: String, shape: [Int], values: UnsafeBufferPointer<Float>)],
        metadata: [String: String], to url: URL
    ) throws {
        var header: [String: Any] = ["__metadata__": metadata]
        var offset = 0
        for t in tensors {
            precondition(
                t.shape.reduce(1, *) == t.values.count, "\(t.name): shape \(t.shape) vs \(t.values.count) values")
            header[t.name] = ["dtype": "F32", "shape": t.shape, "data_offsets": [offset, offset + 4 * t.values.count]]
            offset += 4 * t.values.count
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(0x20) }  // pad with spaces (allowed by the format)
        var out = Data(capacity: 8 + json.count + offset)
        var n = UInt64(json.count).littleEndian
        withUnsafeBytes(of: &n) { out.append(contentsOf: $0) }
        out.append(json)
        for t in tensors {
            for v in t.values {
                var b = v.bitPattern.littleEndian; withUnsafeBytes(of: &b) { out.append(contentsOf: $0) }
            }
        }
        // a temporary file then rename(2): an interrupted save or a full disk never leaves a torn checkpoint
        try writeAtomically(out, to: url.path)
    }

    public static func read(_ url: URL) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        let p = url.path
        guard FileManager.default.fileExists(atPath: p) else { throw CheckpointError.missing(path: p) }
        guard let data = try? Data(contentsOf: url) else {
            throw CheckpointError.malformed(path: p, reason: "the file cannot be read")
        }
        guard data.count >= 8 else { throw CheckpointError.malformed(path: p, reason: "shorter than 8 bytes") }
        let n = data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard n <= UInt64(data.count - 8) else {
            throw CheckpointError.malformed(path: p, reason: "header length \(n) exceeds the file")
        }
        let start = 8 + Int(n)
        guard let header = try? JSONSerialization.jsonObject(with: data.subdata(in: 8..<start)) as? [String: Any] else {
            throw CheckpointError.malformed(path: p, reason: "the header is not a JSON object")
        }
        var tensors: [String: Tensor] = [:], metadata: [String: String] = [:]
        for (name, value) in header {
            if name == "__metadata__" { metadata = value as? [String: String] ?? [:]; continue }
            guard let d = value as? [String: Any], d["dtype"] as? String == "F32", let shape = d["shape"] as? [Int],
                let off = d["data_offsets"] as? [Int], off.count == 2, off[0] <= off[1], start + off[1] <= data.count,
                off[1] - off[0] == 4 * shape.reduce(1, *)
            else {
                throw CheckpointError.malformed(path: p, reason: "tensor \(name) has a bad entry (F32 only)")
            }
            var values = [Float](repeating: 0, count: shape.reduce(1, *))
            values.withUnsafeMutableBytes { dst in
                data.copyBytes(to: dst.bindMemory(to: UInt8.self), from: (start + off[0])..<(start + off[1]))
            }
            tensors[name] = Tensor(shape: shape, values: values.map { Float(bitPattern: $0.bitPattern.littleEndian) })
        }
        return (tensors, metadata)
    }
}
