import Foundation

/// The op classes of a forward call whose time `OpProfile` adds up.
public enum OpClass: String, CaseIterable, Sendable {
    case norms = "RMSNorm, RoPE, residual adds"
    case qkv = "W_Q, W_K, W_V"
    case attention = "attention scores, mask, softmax, P·V"
    case provider = "score providers (LiSA: Q_LR, K_LR, A_Δ, FFN)"
    case outProj = "W_O"
    case ffn = "FFN gate, up, act, down"
    case lmHead = "final norm, LM head"
}

/// Milliseconds per op class over the forward calls of a model while it is attached (`Transformer.profile`):
/// the decoding-step and prefill benchmarks' "where the time goes", timed inside the one block definition.
public final class OpProfile: @unchecked Sendable {
    public private(set) var ms: [OpClass: Double] = [:]
    /// Timed sections per op class (e.g. W_V, and W_Q with W_K on layers that compute their own scores).
    public private(set) var calls: [OpClass: Int] = [:]
    public init() {}
    public func reset() { ms = [:]; calls = [:] }
    @inline(__always)
    func time<R>(_ op: OpClass, _ body: () throws -> R) rethrows -> R {
        let t0 = DispatchTime.now().uptimeNanoseconds
        defer {
            ms[op, default: 0] += Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6
            calls[op, default: 0] += 1
        }
        return try body()
    }
}

extension Transformer {
    /// Runs `body` under op class `op` of the attached profile (no clock reads when none is attached).
    @inline(__always)
    func timed<R>(_ op: OpClass, _ body: () throws -> R) rethrows -> R {
        guard let profile else { return try body() }
        return try profile.time(op, body)
    }
}

/// One op class of a profiled call: milliseconds per call, its share of the call's wall time, and the rate it
/// achieved (GFLOP/s of its arithmetic; GB/s of the weights it read — the figure a decoding step is bound by).
public struct OpProfileRow: Sendable {
    public let op: OpClass
    public let ms: Double
    public let share: Double
    public let gflops: Double?
    public let weightGBs: Double?
}

extension OpProfile {
    /// Rows of `calls` profiled forward calls, each of B sequences × T query rows at S visible keys, with
    /// `lmRows` LM-head rows per call, that took `wallMs` each (unprofiled). Standard layers only for Q/K and
    /// the attention arithmetic (`keyLayers`: those that compute their own scores).
    public func rows(
        model t: Transformer, calls: Int, B: Int, T: Int, S: Int, lmRows: Int, keyLayers: Int,
        wallMs: Double
    ) -> [OpProfileRow] {
        let c = t.config, w = t.weights, R = Double(B * T), L = c.nLayers
        func sum(_ m: (LayerWeights) -> WeightMatrix) -> Double { Double(w.layers.reduce(0) { $0 + m($1).bytes }) }
        let d = Double(c.nEmbd), q = Double(c.qDim), kv = Double(c.kvDim), F = Double(c.nFF)
        // (flops, weight bytes) of one call per op class
        let cost: [OpClass: (Double, Double)] = [
            .qkv: (
                2 * R * d * (Double(keyLayers) * (q + kv) + Double(L) * kv),
                sum(\.wv) + sum(\.wq) * Double(keyLayers) / Double(L) + sum(\.wk) * Double(keyLayers) / Double(L)
            ),
            .outProj: (2 * R * q * d * Double(L), sum(\.wo)),
            .ffn: (2 * R * 3 * d * F * Double(L), sum(\.wGate) + sum(\.wUp) + sum(\.wDown)),
            .lmHead: (2 * Double(B * lmRows) * d * Double(c.vocabSize), Double(w.output.bytes)),
            // scores and P·V: 2·hd flops per (query, key) pair each, over heads and standard layers
            .attention: (4 * Double(B * T * S) * Double(c.nHeads * c.headDim) * Double(keyLayers), 0),
        ]
        return OpClass.allCases.compactMap { op in
            guard let total = ms[op], total > 0 else { return nil }
            let per = total / Double(calls), secs = per / 1000
            let (flops, bytes) = cost[op] ?? (0, 0)
            return OpProfileRow(
                op: op, ms: per, share: per / wallMs, gflops: flops > 0 ? flops / secs / 1e9 : nil,
                weightGBs: bytes > 0 ? bytes / secs / 1e9 : nil)
        }
    }

    /// The rows as aligned text lines, with the wall time the timed ops do not cover as a last line.
    public static func lines(_ rows: [OpProfileRow], wallMs: Double) -> [String] {
        var out = [
            "op class".padding(toLength: 46, withPad: " ", startingAt: 0)
                + "   ms/call   share   GFLOP/s   weights GB/s"
        ]
        for r in rows {
            func right(_ v: Double?, _ width: Int) -> String {
                let s = v.map { String(format: "%.1f", $0) } ?? "-"
                return String(repeating: " ", count: max(0, width - s.count)) + s
            }
            out.append(
                r.op.rawValue.padding(toLength: 46, withPad: " ", startingAt: 0)
                    + String(format: "  %8.2f  %5.1f%%  ", r.ms, 100 * r.share) + right(r.gflops, 8) + "  "
                    + right(r.weightGBs, 13))
        }
        let rest = wallMs - rows.reduce(0) { $0 + $1.ms }
        out.append(
            "other (embedding, cache, bookkeeping)".padding(toLength: 46, withPad: " ", startingAt: 0)
                + String(format: "  %8.2f  %5.1f%%", rest, 100 * rest / wallMs))
        return out
    }
}
