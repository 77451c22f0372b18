import Foundation

/// What can go wrong with the study database; each case reads as a sentence naming the file.
public enum StoreError: Error, CustomStringConvertible, Equatable {
    case unreadableModel(path: String)
    case cannotOpen(path: String, reason: String)
    case damaged(path: String, problems: [String])
    case noRun(study: String, path: String)
    case unknownRun(id: Int64, path: String)
    case badBlob(bytes: Int)

    public var description: String {
        switch self {
        case .unreadableModel(let path):
            return "The model file \(path) cannot be read, so its sha256 cannot be computed."
        case .cannotOpen(let path, let reason):
            return "The study database \(path) cannot be opened: \(reason)."
        case .damaged(let path, let problems):
            return "The study database \(path) is damaged (PRAGMA quick_check: \(problems.joined(separator: "; "))); "
                + "nothing was written to it. Restore a backup or give a new --db file."
        case .noRun(let study, let path):
            return "The study database \(path) holds no finished run of study \"\(study)\"; run `lisa study run` first."
        case .unknownRun(let id, let path):
            return "The study database \(path) holds no run with id \(id)."
        case .badBlob(let bytes):
            return "A stored attention row has \(bytes) bytes, not a multiple of 4 (float32); the database is damaged."
        }
    }
}

/// Float32 little-endian blobs for attention rows.
public enum FloatBlob {
    public static func encode(_ values: [Float]) -> Data {
        values.withUnsafeBufferPointer { Data(buffer: $0) }
    }

    public static func decode(_ data: Data) throws -> [Float] {
        guard data.count % 4 == 0 else { throw StoreError.badBlob(bytes: data.count) }
        var out = [Float](repeating: 0, count: data.count / 4)
        _ = out.withUnsafeMutableBytes { data.copyBytes(to: $0) }
        return out
    }
}
