import Foundation

/// Runs a llama.cpp `llama-bench` binary the user points at (`--vs-llama-bench PATH`) with the same model,
/// threads and lengths as ours, flash attention off, one repetition per call (the caller alternates with its own
/// runs and keeps medians), and reads its tokens/s from `-o json`.
public struct LlamaBenchReference {
    public let path: String
    public let model: String
    public let threads: Int

    public init(path: String, model: String, threads: Int) {
        self.path = path; self.model = model; self.threads = threads
    }

    /// tokens/s of one llama-bench run: prompt processing of `prompt` tokens (gen 0) or generation of `gen` tokens
    /// (prompt 0).
    public func tokensPerSecond(prompt: Int, gen: Int) throws -> Double {
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw BenchError.llamaBench(path: path, fault: "it is not an executable file")
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = [
            "-m", model, "-t", String(threads), "-p", String(prompt), "-n", String(gen), "-fa", "0", "-r", "1", "-o",
            "json",
        ]
        let out = Pipe(), err = Pipe()
        p.standardOutput = out; p.standardError = err
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errText = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw BenchError.llamaBench(
                path: path, fault: "it exited with status \(p.terminationStatus): \(errText.suffix(300))")
        }
        guard let rows = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]],
            let ts = rows.first?["avg_ts"] as? Double
        else {
            throw BenchError.llamaBench(path: path, fault: "its -o json output has no avg_ts")
        }
        return ts
    }
}

/// The median of a non-empty list.
public func median(_ v: [Double]) -> Double {
    let s = v.sorted(); return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

/// Benchmark failures, as sentences naming the file or setting.
public enum BenchError: Error, CustomStringConvertible, Equatable {
    case llamaBench(path: String, fault: String)
    case budgetTooSmall(budget: String, side: String, prompt: Int, generated: Int, needed: Int)

    public var description: String {
        switch self {
        case let .llamaBench(p, f): return "The llama-bench binary \(p) cannot be used: \(f)."
        case let .budgetTooSmall(b, side, p, g, n):
            return "The memory budget \(b) holds not even one \(side) sequence of \(p)+\(g) tokens (\(n) bytes needed)."
        }
    }
}
