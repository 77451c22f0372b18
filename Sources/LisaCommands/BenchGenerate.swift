import ArgumentParser
import Foundation
import GGUF
import LiSA
import Models
import Numerics

/// `lisa bench generate`: end-to-end generation throughput and latency, the baseline and a LiSA
/// checkpoint alternated in one run (paper Tables 3–4: throughput = (prompt + generated tokens) /
/// (prefill time + decode time)). Batch 1; greedy; the run never stops early at EOS.
struct BenchGenerate: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "generate",
        abstract: "Generation throughput and latency, baseline vs a LiSA checkpoint (batch 1).")
    @OptionGroup var modelOptions: ModelOptions
    @Option(help: "A `lisa train` checkpoint; without it only the baseline is timed.") var lisa: String?
    @Option(help: "Comma-separated prompt:generated lengths.") var io = "128:128"
    @Option(help: "Timed repetitions per setting, baseline and LiSA alternated.") var repeats = 1
    @Flag(help: "Print JSON.") var json = false

    func settings() throws -> [(prompt: Int, gen: Int)] {
        let parts = io.split(separator: ",").map { $0.split(separator: ":").compactMap { Int($0) } }
        guard !parts.isEmpty, parts.allSatisfy({ $0.count == 2 && $0[0] >= 1 && $0[1] >= 1 }) else {
            throw ValidationError("--io must look like 128:512,512:1024 (prompt:generated, positive), got '\(io)'.")
        }
        return parts.map { ($0[0], $0[1]) }
    }

    func validate() throws { _ = try settings(); guard repeats >= 1 else { throw ValidationError("--repeats must be ≥ 1.") } }

    /// One timed run: prefill, then greedy decoding token by token. Returns (prefill s, decode s, cache bytes).
    static func timeRun(_ t: Transformer, prompt: [Int], gen: Int, runtime: LiSARuntime?) throws -> (Double, Double, Int) {
        runtime?.reset()
        let cache = t.makeCache(reserve: prompt.count + gen)
        let providers = runtime?.providers ?? [:]
        let t0 = DispatchTime.now().uptimeNanoseconds
        var logits = try t.forward(prompt, cache: cache, scoreProviders: providers)
        let t1 = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<(gen - 1) {
            logits = try t.forward([Sampler.argmax(logits.last)], cache: cache, scoreProviders: providers)
        }
        let t2 = DispatchTime.now().uptimeNanoseconds
        let bytes = runtime?.memory(cache: cache).totalBytes ?? MemoryReport(cache: cache).totalBytes
        return (Double(t1 - t0) / 1e9, Double(t2 - t1) / 1e9, bytes)
    }

    func run() throws {
        let m = try modelOptions.load()
        let t = m.transformer
        let runtime = try lisa.map { try LiSARuntime.load(checkpoint: URL(fileURLWithPath: $0), model: t, modelSHA: SHA256.hex(ofFile: modelOptions.model)) }
        var rows: [[String: Any]] = []
        for (p, g) in try settings() {
            guard p + g <= t.config.contextLength else { throw ModelError.promptTooLong(tokens: p + g, context: t.config.contextLength) }
            let prompt = (0..<p).map { ($0 * 7919 + 13) % min(t.config.vocabSize, 30000) + 10 }
            var best: [String: (Double, Double, Int)] = [:]
            for _ in 0..<repeats {
                for (name, rt) in [("baseline", nil), ("lisa", runtime)] as [(String, LiSARuntime?)] where name == "baseline" || rt != nil {
                    let r = try Self.timeRun(t, prompt: prompt, gen: g, runtime: rt)
                    if best[name] == nil || r.0 + r.1 < best[name]!.0 + best[name]!.1 { best[name] = r }
                }
            }
            for (name, r) in best.sorted(by: { $0.key < $1.key }) {
                rows.append(["setting": "\(p):\(g)", "mode": name, "prefill_s": r.0, "decode_s": r.1,
                             "throughput_tokens_per_s": Double(p + g) / (r.0 + r.1), "latency_s": r.0 + r.1, "cache_bytes": r.2])
            }
        }
        if json { print(try jsonLine(["results": rows, "blas_core": BLAS.coreName, "lisa": lisa ?? NSNull()])); return }
        print("model \(modelOptions.model), BLAS kernel \(BLAS.coreName), batch 1, greedy")
        print("setting     mode      prefill s  decode s  throughput tok/s  cache MiB  ratio")
        for r in rows {
            let base = rows.first { $0["setting"] as! String == r["setting"] as! String && $0["mode"] as! String == "baseline" }!
            let ratio = (r["throughput_tokens_per_s"] as! Double) / (base["throughput_tokens_per_s"] as! Double)
            print(String(format: "%-10@  %-8@  %9.2f  %8.2f  %16.1f  %9.2f  %.2fx", r["setting"] as! String, r["mode"] as! String,
                         r["prefill_s"] as! Double, r["decode_s"] as! Double, r["throughput_tokens_per_s"] as! Double,
                         Double(r["cache_bytes"] as! Int) / 1048576, ratio))
        }
    }
}
