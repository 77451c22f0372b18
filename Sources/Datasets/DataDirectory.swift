import Foundation

/// The folder holding the task data (data/README.md layout: `piqa/validation.jsonl`, …).
/// Resolution order: an explicit path (`--data`), then env `LISA_DATA`, then `../shared/data`
/// relative to the current directory.
public struct DataDirectory: Sendable, Equatable {
    public let url: URL

    public init(path explicit: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) {
        if let explicit, !explicit.isEmpty {
            url = URL(fileURLWithPath: explicit)
        } else if let env = environment["LISA_DATA"], !env.isEmpty {
            url = URL(fileURLWithPath: env)
        } else {
            url =
                URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
                .appendingPathComponent("../shared/data").standardizedFileURL
        }
    }

    /// The file at `relative` (e.g. "piqa/validation.jsonl"); throws `missingFile` if it is absent.
    public func file(_ relative: String) throws -> URL {
        let u = url.appendingPathComponent(relative)
        guard FileManager.default.fileExists(atPath: u.path) else { throw DatasetError.missingFile(path: u.path) }
        return u
    }
}
