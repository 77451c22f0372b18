import Foundation
import Basics

/// What a benchmark measured: the lines a person reads and the object `--json` prints (the same numbers).
public struct BenchmarkReport {
    public var lines: [String] = []
    public var json: [String: Any] = [:]
    public init() {}

    public var text: String { lines.joined(separator: "\n") }
    public var jsonLine: String { CanonicalJSON.line(json) }
}

/// Peak resident set size of this process in bytes (VmHWM).
public func peakRSS() -> Int {
    guard let s = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
        let line = s.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") })
    else { return 0 }
    return (Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) * 1024
}
