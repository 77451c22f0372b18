import Foundation
import Models
import Numerics

/// `lisa bench prefill`: prompt-processing speed with and without last-token attention capture (the capture
/// runs as a study does: exact products, Float32 K/V), against llama.cpp's llama-bench pp (flash attention off):
/// run side by side, alternated, with a llama-bench binary, else the figures recorded in
/// ../shared/oracles/README.md (another machine: Intel, 2026-11).
public struct PrefillBenchmark {
    public var lengths: [Int]
    /// Timed repetitions per setting (after one warm-up).
    public var repeats: Int
    public var llamaBench: LlamaBenchReference?

    public init(lengths: [Int], repeats: Int, llamaBench: LlamaBenchReference? = nil) {
        self.lengths = lengths; self.repeats = repeats; self.llamaBench = llamaBench
    }

    /// llama-bench pp tokens/s, fa = 0, 2 threads (../shared/oracles/README.md, "Speed anchor").
    static let reference: [String: [Int: Double]] = [
        "gemma3": [64: 380.8, 128: 394.7, 512: 383.7],
        "qwen2": [64: 64.6, 128: 59.8, 512: 65.0],
    ]

    public func run(_ m: LoadedModel, modelPath: String, threads: Int) throws -> BenchmarkReport {
        let t = m.transformer
        var results: [[String: Any]] = []
        var profiles: [(tokens: Int, capture: Bool, wallMs: Double, rows: [OpProfileRow])] = []
        for n in lengths {
            guard n <= t.config.contextLength else {
                throw ModelError.promptTooLong(tokens: n, context: t.config.contextLength)
            }
            // Deterministic pseudo-text ids (the speed does not depend on which ids), as the generation bench draws
            // them.
            let ids = GenerationBench.prompts(batch: 1, length: n, vocab: t.config.vocabSize)[0]
            let loadedMode = t.productMode, loadedKV = t.kvElement
            /// One timed prefill in tokens/s; `capture`: as a study runs it (exact products, Float32 K/V, a tap).
            func once(_ capture: Bool) throws -> Double {
                t.productMode = capture ? .exact : loadedMode
                defer { t.productMode = loadedMode }
                let tap = capture ? LastRowCapture(layers: t.config.nLayers) : nil
                let start = DispatchTime.now().uptimeNanoseconds
                _ = try t.forward(
                    ids, cache: t.makeCache(reserve: n, element: capture ? .f32 : loadedKV), logits: .last, tap: tap)
                return Double(n) / (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            }
            _ = try once(false); _ = try once(true)  // warm-up
            var plain: [Double] = [], cap: [Double] = [], llama: [Double] = []
            for _ in 0..<repeats {  // alternated: ours, ours with capture, llama.cpp
                plain.append(try once(false)); cap.append(try once(true))
                if let llamaBench { llama.append(try llamaBench.tokensPerSecond(prompt: n, gen: 0)) }
            }
            var r: [String: Any] = ["tokens": n, "tokens_per_s": median(plain), "capture_tokens_per_s": median(cap)]
            // where the time goes: one more run of each kind with the op profile attached
            for (capture, tps) in [(false, median(plain)), (true, median(cap))] {
                let profile = OpProfile()
                t.profile = profile
                _ = try once(capture)
                t.profile = nil
                let wallMs = Double(n) / tps * 1000
                profiles.append(
                    (
                        n, capture, wallMs,
                        profile.rows(
                            model: t, calls: 1, B: 1, T: n, S: n, lmRows: 1,
                            keyLayers: t.config.nLayers, wallMs: wallMs)
                    ))
            }
            if !llama.isEmpty {
                r["llama_bench_tokens_per_s"] = median(llama); r["capture_ratio"] = median(cap) / median(llama)
                r["reference"] = "measured"
            } else if let ref = Self.reference[t.config.arch.rawValue]?[n] {
                r["llama_bench_tokens_per_s"] = ref; r["capture_ratio"] = median(cap) / ref
                r["reference"] = "recorded"
            }
            results.append(r)
        }
        let rss = peakRSS()
        let mem = MemoryBreakdown(model: t, tokens: lengths.max()!)
        var report = BenchmarkReport()
        report.json = [
            "results": results, "peak_rss_bytes": rss, "blas_core": BLAS.coreName, "kernel_path": KernelPath.name,
            "weights": t.weights.format.rawValue, "products": t.productMode.rawValue, "kv": t.kvElement.rawValue,
            "memory": ["weights": mem.weights, "kv": mem.kv, "scratch": mem.scratch, "score_planes": mem.scorePlanes],
            "threads": threads, "model": modelPath,
            "profile": profiles.map { p in
                [
                    "tokens": p.tokens, "capture": p.capture,
                    "ms": Dictionary(uniqueKeysWithValues: p.rows.map { ($0.op.rawValue, $0.ms) }),
                ]
            },
        ]
        report.lines.append(
            "model \(modelPath) (\(t.config.arch.rawValue)), weights \(t.weights.format.rawValue), products "
                + "\(t.productMode.rawValue), "
                + "K/V \(t.kvElement.rawValue), kernel path \(KernelPath.name), BLAS kernel \(BLAS.coreName), "
                + "\(threads) threads; "
                + "medians of \(repeats), alternated")
        report.lines.append(
            "capture: last-token attention of every layer and head, as a study runs it (exact products, Float32 K/V)")
        report.lines.append("tokens  tok/s   capture tok/s  llama.cpp pp (fa=0)  capture ratio")
        for r in results {
            let ref = (r["llama_bench_tokens_per_s"] as? Double).map { ($0, r["reference"] as! String) }
            report.lines.append(
                String(
                    format: "%6d  %6.1f  %13.1f  %19@  %13@", r["tokens"] as! Int, r["tokens_per_s"] as! Double,
                    r["capture_tokens_per_s"] as! Double, ref.map { String(format: "%.1f (%@)", $0.0, $0.1) } ?? "-",
                    (r["capture_ratio"] as? Double).map { String(format: "%.2fx", $0) } ?? "-"))
        }
        for p in profiles {
            report.lines.append(
                "where the time goes, \(p.tokens) tokens" + (p.capture ? ", with capture:" : ", no capture:"))
            for line in OpProfile.lines(p.rows, wallMs: p.wallMs) { report.lines.append("  " + line) }
        }
        report.lines.append(
            String(format: "peak RSS %.0f MiB; memory of a %d-token prefill:", Double(rss) / 1048576, mem.tokens))
        for l in mem.lines { report.lines.append("  " + l) }
        return report
    }
}
