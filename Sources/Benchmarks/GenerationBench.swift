import Foundation
import LiSA
import Models
import Numerics

/// One timed generation run of B sequences (baseline or LiSA), as `lisa bench generate` measures it.
public struct GenerationTiming {
    public var prefillSeconds: Double
    public var decodeSeconds: Double
    /// Measured cache bytes summed over the B sequences at the end of the run.
    public var cacheBytes: Int
    /// Sequence 0's measured cache bytes per layer.
    public var memory: MemoryReport
    public var latency: Double { prefillSeconds + decodeSeconds }
}

public enum GenerationBench {
    /// B distinct fixed prompts of P in-vocabulary ids (no tokenizer needed; the timing does not depend on the text).
    public static func prompts(batch B: Int, length P: Int, vocab: Int) -> [[Int]] {
        (0..<B).map { b in (0..<P).map { ($0 * 7919 + 13 + 104_729 * b) % min(vocab - 10, 30000) + 10 } }
    }

    /// Prefills each sequence alone (T = P rows; NF: standard attention in the LiSA layers), then decodes the B
    /// sequences together, greedy, for G − 1 steps (the first token comes from the prefill; the run never stops at
    /// EOS).
    public static func run(
        _ t: Transformer, prompts: [[Int]], gen G: Int, runtime: LiSARuntime?, nf: Bool,
        progress: ((Int) -> Void)? = nil
    ) throws -> GenerationTiming {
        let B = prompts.count, P = prompts[0].count
        let runtimes = (0..<B).map { _ in runtime?.replica() }
        let caches = (0..<B).map { _ in t.makeCache(reserve: P + G) }
        let providers = runtime == nil ? [] : runtimes.map { $0!.providers }
        let t0 = DispatchTime.now().uptimeNanoseconds
        var next: [Int] = []
        for b in 0..<B {
            let logits = try t.forward(
                prompts[b], cache: caches[b], scoreProviders: runtimes[b]?.providers ?? [:], nfPrefill: nf)
            next.append(Sampler.argmax(logits.last))
        }
        let t1 = DispatchTime.now().uptimeNanoseconds
        for step in 0..<(G - 1) {
            let logits = try t.forwardBatch(next.map { [$0] }, caches: caches, scoreProviders: providers)
            next = logits.map { Sampler.argmax($0.last) }
            if step % 16 == 0 { progress?(step) }
        }
        let t2 = DispatchTime.now().uptimeNanoseconds
        let reports = (0..<B).map { b in MemoryReport(cache: caches[b], lisa: runtimes[b]?.layers ?? []) }
        return GenerationTiming(
            prefillSeconds: Double(t1 - t0) / 1e9, decodeSeconds: Double(t2 - t1) / 1e9,
            cacheBytes: reports.reduce(0) { $0 + $1.totalBytes }, memory: reports[0])
    }

    /// The memory table of one side: per layer K, K_LR, V of one sequence at S positions, the score rows of a
    /// decoding step, totals for B sequences, and the plan's weights and transients.
    public static func memoryTable(name: String, plan: MemoryPlan, batch B: Int, prompt P: Int, gen G: Int) -> String {
        let S = P + G, mib = { (b: Int) in String(format: "%9.3f", Double(b) / 1_048_576) }
        var lines = [
            "\(name): per sequence at \(S) positions (MiB)", "layer          K       K_LR          V   score rows",
        ]
        var tk = 0, tl = 0, tv = 0
        let rows = 2 * 2 * plan.config.nHeads * S * 4  // cur/prev × scores/probs, h×S each (§5.2 "h×l")
        for l in 0..<plan.config.nLayers {
            let b = plan.cacheBytes(layer: l, positions: S)
            tk += b.k; tl += b.lowRankK; tv += b.v
            lines.append(String(format: "%5d  ", l) + "\(mib(b.k))  \(mib(b.lowRankK))  \(mib(b.v))")
        }
        lines.append("total  \(mib(tk))  \(mib(tl))  \(mib(tv))  \(mib(rows))")
        lines.append(
            "batch \(B): caches \(mib(B * (tk + tl + tv))) MiB, weights \(mib(plan.weightBytes)) MiB, "
                + "transient prefill \(mib(plan.prefillTransientBytes(prompt: P))) / decode "
                + "\(mib(plan.decodeTransientBytes(batch: B, positions: S))) MiB, "
                + "total \(mib(plan.totalBytes(batch: B, prompt: P, generated: G))) MiB")
        return lines.joined(separator: "\n")
    }

    /// Parses "3000000000", "3GB", "2.5GiB", "800MiB", "800MB".
    public static func parseBytes(_ s: String) -> Int? {
        let units: [(String, Double)] = [
            ("GiB", 1_073_741_824), ("MiB", 1_048_576), ("KiB", 1024), ("GB", 1e9), ("MB", 1e6), ("KB", 1e3), ("B", 1),
        ]
        let t = s.trimmingCharacters(in: .whitespaces)
        for (u, f) in units where t.hasSuffix(u) {
            guard let v = Double(t.dropLast(u.count).trimmingCharacters(in: .whitespaces)), v > 0 else { return nil }
            return Int(v * f)
        }
        return Int(t).flatMap { $0 > 0 ? $0 : nil }
    }
}
