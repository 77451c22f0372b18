import ArgumentParser
import Foundation
import Models
import Numerics
#if canImport(Glibc)
import Glibc
#endif

/// `lisa bench prefill`: prompt-processing speed with and without last-token attention capture,
/// against llama.cpp's llama-bench pp128/pp512 (flash attention off) recorded in ../shared/oracles/README.md.
struct BenchPrefill: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "prefill",
        abstract: "Prefill tokens/s without taps and with last-token capture of all layers and heads.")
    @OptionGroup var modelOptions: ModelOptions
    @Option(help: "Comma-separated prompt lengths.") var tokens = "128,512"
    @Option(help: "Timed repetitions per setting (after one warm-up).") var repeats = 3
    @Flag(help: "Print JSON.") var json = false

    /// llama-bench pp tokens/s, fa = 0, 2 threads (../shared/oracles/README.md, "Speed anchor").
    static let reference: [String: [Int: Double]] = [
        "gemma3": [64: 380.8, 128: 394.7, 512: 383.7],
        "qwen2": [64: 64.6, 128: 59.8, 512: 65.0],
    ]

    func lengths() throws -> [Int] {
        let v = tokens.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !v.isEmpty, v.allSatisfy({ $0 >= 1 && $0 <= 1 << 16 }), v.count == tokens.split(separator: ",").count else {
            throw ValidationError("--tokens must be a comma-separated list of positive lengths, got '\(tokens)'.")
        }
        return v
    }

    func validate() throws { _ = try lengths(); guard repeats >= 1 else { throw ValidationError("--repeats must be ≥ 1.") } }

    func run() throws {
        let m = try modelOptions.load()
        let t = m.transformer
        var results: [[String: Any]] = []
        for n in try lengths() {
            guard n <= t.config.contextLength else { throw ModelError.promptTooLong(tokens: n, context: t.config.contextLength) }
            // Deterministic pseudo-text ids (the speed does not depend on which ids).
            let ids = (0..<n).map { ($0 * 7919 + 13) % min(t.config.vocabSize, 30000) + 10 }
            func timeIt(_ capture: Bool) throws -> Double {
                var best = Double.infinity
                for rep in 0...repeats {
                    let tap = capture ? LastRowCapture(layers: t.config.nLayers) : nil
                    let start = DispatchTime.now().uptimeNanoseconds
                    _ = try t.forward(ids, cache: t.makeCache(reserve: n), logits: .last, tap: tap)
                    let s = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                    if rep > 0 { best = min(best, s) }   // rep 0 is the warm-up
                }
                return Double(n) / best
            }
            let plain = try timeIt(false), cap = try timeIt(true)
            var r: [String: Any] = ["tokens": n, "tokens_per_s": plain, "capture_tokens_per_s": cap]
            if let ref = Self.reference[t.config.arch.rawValue]?[n] {
                r["reference_tokens_per_s"] = ref
                r["capture_ratio"] = cap / ref
            }
            results.append(r)
        }
        let rss = peakRSS()
        if json {
            print(try jsonLine(["results": results, "peak_rss_bytes": rss, "blas_core": BLAS.coreName,
                                "threads": modelOptions.threads, "model": modelOptions.model]))
            return
        }
        print("model \(modelOptions.model) (\(t.config.arch.rawValue)), BLAS kernel \(BLAS.coreName), \(modelOptions.threads) threads")
        print("tokens  tok/s   capture tok/s  llama.cpp pp (fa=0)  capture ratio")
        for r in results {
            let ref = r["reference_tokens_per_s"] as? Double
            print(String(format: "%6d  %6.1f  %13.1f  %19@  %13@", r["tokens"] as! Int, r["tokens_per_s"] as! Double,
                         r["capture_tokens_per_s"] as! Double, ref.map { String(format: "%.1f", $0) } ?? "-",
                         (r["capture_ratio"] as? Double).map { String(format: "%.2fx", $0) } ?? "-"))
        }
        print(String(format: "peak RSS %.0f MiB", Double(rss) / 1048576))
    }
}

/// Peak resident set size of this process in bytes (VmHWM).
func peakRSS() -> Int {
    guard let s = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = s.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { return 0 }
    return (Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) * 1024
}
