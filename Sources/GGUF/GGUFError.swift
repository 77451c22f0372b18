/// Everything that can be wrong with a GGUF file, phrased as a sentence naming the file and the field.
public enum GGUFError: Error, CustomStringConvertible, Equatable {
    case cannotOpen(path: String, reason: String)
    case notGGUF(path: String, magic: String)
    case unsupportedVersion(path: String, version: UInt32)
    case truncated(path: String, field: String, offset: Int, needed: Int, fileSize: Int)
    case absurdCount(path: String, field: String, count: UInt64, offset: Int)
    case unknownValueType(path: String, key: String, type: UInt32, offset: Int)
    case unknownTensorType(path: String, tensor: String, type: UInt32)
    case badDimensions(path: String, tensor: String, reason: String)
    case tensorOutOfFile(path: String, tensor: String, start: Int, end: Int, fileSize: Int)
    case misaligned(path: String, tensor: String, offset: UInt64, alignment: Int)
    case badAlignment(path: String, value: UInt64)
    case invalidUTF8(path: String, field: String, offset: Int)
    case duplicate(path: String, what: String, name: String)
    case missingKey(path: String, key: String)
    case wrongKeyType(path: String, key: String, expected: String, found: String)
    case badValue(path: String, key: String, reason: String)
    case overlappingTensors(path: String, first: String, second: String)
    case missingTensor(path: String, name: String)
    case unsupportedDequantization(tensor: String, type: String)
    case writeFailed(path: String, reason: String)
    case rowOutOfRange(path: String, tensor: String, row: Int, rows: Int)
    case quantizationUnsupported(type: String)
    case badValueCount(what: String, count: Int, blockSize: Int)

    public var description: String {
        switch self {
        case let .cannotOpen(p, r): return "\(p): cannot open the file: \(r)."
        case let .notGGUF(p, m): return "\(p): not a GGUF file (the first four bytes are \(m), expected \"GGUF\")."
        case let .unsupportedVersion(p, v): return "\(p): GGUF version \(v) is not supported (versions 2 and 3 are)."
        case let .truncated(p, f, o, n, s):
            return "\(p): the file is truncated: \(f) at byte offset \(o) needs \(n) bytes but the file has \(s) bytes."
        case let .absurdCount(p, f, c, o):
            return "\(p): \(f) at byte offset \(o) is \(c), more than the file could possibly hold."
        case let .unknownValueType(p, k, t, o):
            return "\(p): metadata key '\(k)' has unknown value type \(t) at byte offset \(o)."
        case let .unknownTensorType(p, n, t): return "\(p): tensor '\(n)' has unknown ggml type \(t)."
        case let .badDimensions(p, n, r): return "\(p): tensor '\(n)' has invalid dimensions: \(r)."
        case let .tensorOutOfFile(p, n, s, e, size):
            return "\(p): tensor '\(n)' data [\(s), \(e)) lies outside the file (\(size) bytes)."
        case let .misaligned(p, n, o, a):
            return "\(p): tensor '\(n)' offset \(o) is not a multiple of the alignment \(a)."
        case let .badAlignment(p, v): return "\(p): general.alignment = \(v) is not a power of two between 1 and 65536."
        case let .invalidUTF8(p, f, o): return "\(p): \(f) at byte offset \(o) is not valid UTF-8."
        case let .duplicate(p, w, n): return "\(p): duplicate \(w) '\(n)'."
        case let .missingKey(p, k): return "\(p): metadata key '\(k)' is missing."
        case let .wrongKeyType(p, k, e, f): return "\(p): metadata key '\(k)' is \(f), not \(e)."
        case let .badValue(p, k, r): return "\(p): metadata key '\(k)' \(r)."
        case let .overlappingTensors(p, a, b): return "\(p): the data of tensors '\(a)' and '\(b)' overlap."
        case let .missingTensor(p, n): return "\(p): tensor '\(n)' is missing."
        case let .unsupportedDequantization(n, t): return "tensor '\(n)': dequantization of type \(t) is not supported."
        case let .writeFailed(p, r): return "\(p): cannot write the GGUF file: \(r)."
        case let .rowOutOfRange(p, n, r, rows):
            return "\(p): tensor '\(n)' has \(rows) rows, so row \(r) does not exist."
        case let .quantizationUnsupported(t):
            return "quantization to \(t) is not supported (F32, F16, BF16 and Q8_0 are)."
        case let .badValueCount(w, c, b): return "\(w): \(c) values is not a multiple of the block size \(b)."
        }
    }
}
