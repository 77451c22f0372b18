import Foundation

/// Runs the `lisa` executable built with the tests under test: the one in the same build folder
/// (.build/<triple>/<debug|release>/) as the test bundle, so `swift test` runs the debug binary and
/// `swift test -c release` the release one. A missing binary is an error, never a skip.
public enum LisaBinary {
    public enum Failure: Error, CustomStringConvertible {
        case noTestBundle(searched: [String])
        case notBuilt(path: String)

        public var description: String {
            switch self {
            case .noTestBundle(let searched):
                return "cannot find the build folder of the tests: no .xctest bundle in "
                    + searched.joined(separator: ", ")
            case .notBuilt(let path):
                return "lisa is not built at \(path), beside the tests under test "
                    + "(swift build --build-tests builds both)"
            }
        }
    }

    private final class Marker {}

    /// The build folder of the running tests: the parent of the `.xctest` bundle (macOS) or executable (Linux).
    public static func buildFolder() throws -> URL {
        var starts = [Bundle(for: Marker.self).bundleURL]
        if let exe = Bundle.main.executableURL { starts.append(exe) }
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            starts.append(URL(fileURLWithPath: exe))
        }
        for start in starts {
            var url = start.standardizedFileURL
            while url.pathComponents.count > 1 {
                if url.pathExtension == "xctest" { return url.deletingLastPathComponent() }
                url.deleteLastPathComponent()
            }
        }
        throw Failure.noTestBundle(searched: starts.map(\.path))
    }

    /// The `lisa` executable of the configuration under test.
    public static func executable() throws -> URL {
        let url = try buildFolder().appendingPathComponent("lisa")
        guard FileManager.default.isExecutableFile(atPath: url.path) else { throw Failure.notBuilt(path: url.path) }
        return url
    }

    public struct Result { public let status: Int32; public let stdout: String; public let stderr: String }

    /// Starts `lisa args…` in the repository root with its output discarded (for tests that kill it).
    public static func start(_ args: [String]) throws -> Process {
        let p = Process()
        p.executableURL = try executable()
        p.arguments = args
        p.currentDirectoryURL = TestPaths.repoRoot
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    /// Runs several lisa processes at the same time (each with its arguments, in the repository root) and waits for
    /// all: (exit status, the tail of stderr) per process, in order. For faults that need concurrent writers.
    public static func runTogether(_ argsList: [[String]]) throws -> [(status: Int32, stderr: String)] {
        let exe = try executable()
        let procs = try argsList.map { args -> (Process, Pipe) in
            let p = Process(), err = Pipe()
            p.executableURL = exe
            p.arguments = args
            p.currentDirectoryURL = TestPaths.repoRoot
            p.standardOutput = FileHandle.nullDevice
            p.standardError = err
            try p.run()
            return (p, err)
        }
        return procs.map { p, err in
            let log = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            return (p.terminationStatus, String(log.suffix(400)))
        }
    }

    /// Runs lisa with `args` in the repository root; `environment` entries are added to (or, with nil, removed from)
    /// this process's. `fileSizeLimitKB` runs it under `ulimit -f` with SIGXFSZ ignored (a full disk: writes past the
    /// limit fail with EFBIG).
    @discardableResult
    public static func run(
        _ args: [String], environment: [String: String?] = [:], fileSizeLimitKB: Int? = nil
    ) throws -> Result {
        let p = Process()
        if let kb = fileSizeLimitKB {
            p.executableURL = URL(fileURLWithPath: "/bin/bash")
            p.arguments = ["-c", "trap '' XFSZ; ulimit -f \(kb); exec \"$0\" \"$@\"", try executable().path] + args
        } else {
            p.executableURL = try executable()
            p.arguments = args
        }
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
        DispatchQueue.global().async {
            e.data = err.fileHandleForReading.readDataToEndOfFile(); g.leave()
        }
        let o = out.fileHandleForReading.readDataToEndOfFile()
        g.wait()
        p.waitUntilExit()
        return Result(
            status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
            stderr: String(decoding: e.data, as: UTF8.self))
    }
}
