import Foundation

/// Runs a llama.cpp `llama-bench` binary the user points at (`--vs-llama-bench PATH`) with the same model,
/// threads and lengths as ours, flash attention off, one repetition per call (the caller alternates with its own
/// runs and keeps medians), and reads its tokens/s from `-o json`.
struct LlamaBenchReference {
    let path: String
    let model: String
    let threads: Int

    /// tokens/s of one llama-bench run: prompt processing of `prompt` tokens (gen 0) or generation of `gen` tokens
    /// (prompt 0).
    func tokensPerSecond(prompt: Int, gen: Int) throws -> Double {
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw CLIError("--vs-llama-bench \(path): not an executable file.")
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = ["-m", model, "-t", String(threads), "-p", String(prompt), "-n", String(gen), "-fa", "0", "-r", "1", "-o", "json"]
        let out = Pipe(), err = Pipe()
        p.standardOutput = out; p.standardError = err
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errText = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw CLIError("--vs-llama-bench \(path) exited with status \(p.terminationStatus): \(errText.suffix(300))")
        }
        guard let rows = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]],
              let ts = rows.first?["avg_ts"] as? Double else {
            throw CLIError("--vs-llama-bench \(path): its -o json output has no avg_ts.")
        }
        return ts
    }
}

/// The median of a non-empty list.
func median(_ v: [Double]) -> Double { let s = v.sorted(); return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2 }
