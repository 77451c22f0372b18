import Foundation

/// Runs the built `lisa` executable for end-to-end tests (release build from scripts/setup first,
/// else the debug build). Tests skip with a printed reason when neither exists.
public enum LisaBinary {
    public static var url: URL? {
        for config in ["release", "debug"] {
            let u = TestPaths.repoRoot.appendingPathComponent(".build/\(config)/lisa")
            if FileManager.default.isExecutableFile(atPath: u.path) { return u }
        }
        return nil
    }

    public static var available: Bool {
        if url == nil { FileHandle.standardError.write(Data("SKIP: lisa is not built (run scripts/setup or swift build)\n".utf8)) }
        return url != nil
    }

    public struct Result { public let status: Int32; public let stdout: String; public let stderr: String }

    /// Starts `lisa args…` in the repository root with its output discarded (for tests that kill it).
    public static func start(_ args: [String]) throws -> Process {
        let p = Process()
        p.executableURL = url
        p.arguments = args
        p.currentDirectoryURL = TestPaths.repoRoot
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    /// Runs lisa with `args` in the repository root; `environment` entries are added to (or, with nil, removed from) this process's.
    @discardableResult
    public static func run(_ args: [String], environment: [String: String?] = [:]) throws -> Result {
        let p = Process()
        p.executableURL = url
        p.arguments = args
        p.currentDirectoryURL = TestPaths.repoRoot
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        p.environment = env
        let out = Pipe(), err = Pipe()
        p.standardOutput = out; p.standardError = err
        try p.run()
        // Read stderr concurrently so a chatty child cannot block on a full pipe.
        // The group's wait orders the reader's write before our read of `e.data`.
        final class Collected: @unchecked Sendable { var data = Data() }
        let e = Collected()
        let g = DispatchGroup()
        g.enter()
        DispatchQueue.global().async { e.data = err.fileHandleForReading.readDataToEndOfFile(); g.leave() }
        let o = out.fileHandleForReading.readDataToEndOfFile()
        g.wait()
        p.waitUntilExit()
        return Result(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e.data, as: UTF8.self))
    }
}
