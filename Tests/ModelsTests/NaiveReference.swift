import Foundation
import GGUF

/// An independent, deliberately plain forward pass in Double, token by token with explicit loops,
/// written from the architecture notes (../shared/oracles/README.md) rather than from Transformer.
/// Returns the last position's logits and its attention rows [layer][head][key].
struct NaiveReference {
    let arch: String
    let w: [String: [Double]]
    let L, d, H, KV, hd, ff, vocab, window: Int
    let eps = 1e-6

    init(path: String) throws {
        let f = try GGUFFile(path: path)
        arch = f.architecture!
        var w: [String: [Double]] = [:]
        for t in f.tensors { w[t.name] = try f.dequantize(t).map(Double.init) }
        self.w = w
        L = try f.archInt("block_count"); d = try f.archInt("embedding_length");
        H = try f.archInt("attention.head_count")
        KV = try f.archInt("attention.head_count_kv"); hd = try f.archInt("attention.key_length")
        ff = try f.archInt("feed_forward_length"); vocab = f.tensor("token_embd.weight")!.dims[1]
        window = (try? f.archInt("attention.sliding_window")) ?? Int.max
    }

    func rms(_ x: [Double], _ g: [Double]?) -> [Double] {
        let s = 1 / (x.reduce(0) { $0 + $1 * $1 } / Double(x.count) + eps).squareRoot()
        return x.indices.map { x[$0] * s * (g?[$0] ?? 1) }
    }
    /// y = W x for W stored [out, in].
    func mv(_ name: String, _ x: [Double], bias: String? = nil) -> [Double] {
        let m = w[name]!, n = x.count, out = m.count / n
        return (0..<out).map { o in
            (0..<n).reduce(0.0) { $0 + m[o * n + $1] * x[$1] } + (bias.flatMap { w[$0]?[o] } ?? 0)
        }
    }
    func rope(_ v: [Double], pos: Int, base: Double) -> [Double] {
        var r = v
        for i in 0..<(hd / 2) {
            let th = Double(pos) / pow(base, Double(2 * i) / Double(hd))
            // llama GGUFs rotate adjacent pairs; qwen2 and gemma3 rotate (i, i + hd/2).
            let (a, b) = arch == "llama" ? (2 * i, 2 * i + 1) : (i, i + hd / 2)
            r[a] = v[a] * cos(th) - v[b] * sin(th)
            r[b] = v[a] * sin(th) + v[b] * cos(th)
        }
        return r
    }

    func run(_ ids: [Int]) -> (logits: [Double], probs: [[[Double]]]) {
        let gemma = arch == "gemma3"
        var xs = ids.map { id in
            (0..<d).map { w["token_embd.weight"]![id * d + $0] * (gemma ? Double(Float(d).squareRoot()) : 1) }
        }
        var lastProbs: [[[Double]]] = []
        for l in 0..<L {
            let p = "blk.\(l)."
            let sliding = gemma && l % 6 < 5
            let base = gemma ? (sliding ? 10_000.0 : 1_000_000.0) : 10_000.0
            var Ks: [[[Double]]] = [], Vs: [[[Double]]] = [], Qs: [[[Double]]] = []
            for (t, x) in xs.enumerated() {
                let h = rms(x, w[p + "attn_norm.weight"])
                let q = mv(p + "attn_q.weight", h, bias: p + "attn_q.bias")
                let k = mv(p + "attn_k.weight", h, bias: p + "attn_k.bias")
                let v = mv(p + "attn_v.weight", h, bias: p + "attn_v.bias")
                Qs.append(
                    (0..<H).map { hh in
                        var qh = Array(q[(hh * hd)..<((hh + 1) * hd)])
                        if gemma { qh = rms(qh, w[p + "attn_q_norm.weight"]) }
                        return rope(qh, pos: t, base: base)
                    })
                Ks.append(
                    (0..<KV).map { g in
                        var kh = Array(k[(g * hd)..<((g + 1) * hd)])
                        if gemma { kh = rms(kh, w[p + "attn_k_norm.weight"]) }
                        return rope(kh, pos: t, base: base)
                    })
                Vs.append((0..<KV).map { g in Array(v[(g * hd)..<((g + 1) * hd)]) })
            }
            var newXs = xs
            var layerProbs: [[Double]] = []
            for t in xs.indices {
                var ctx = [Double](repeating: 0, count: H * hd)
                for hh in 0..<H {
                    let g = hh / (H / KV)
                    let lo = sliding ? max(0, t - window + 1) : 0
                    var s = [Double](repeating: -.infinity, count: xs.count)
                    for j in lo...t {
                        s[j] = zip(Qs[t][hh], Ks[j][g]).reduce(0) { $0 + $1.0 * $1.1 } / Double(hd).squareRoot()
                    }
                    let mx = s.max()!
                    let e = s.map { $0 == -.infinity ? 0 : exp($0 - mx) }
                    let z = e.reduce(0, +)
                    let pr = e.map { $0 / z }
                    if t == xs.count - 1 { layerProbs.append(pr) }
                    for j in 0...t { for c in 0..<hd { ctx[hh * hd + c] += pr[j] * Vs[j][g][c] } }
                }
                var o = mv(p + "attn_output.weight", ctx)
                if gemma { o = rms(o, w[p + "post_attention_norm.weight"]) }
                var x = zip(xs[t], o).map { $0 + $1 }
                let h2 = rms(x, w[p + "ffn_norm.weight"])
                let gate = mv(p + "ffn_gate.weight", h2), up = mv(p + "ffn_up.weight", h2)
                let act = zip(gate, up).map { g, u in
                    (gemma
                        ? 0.5 * g * (1 + tanh((2 / Double.pi).squareRoot() * (g + 0.044715 * g * g * g)))
                        : g / (1 + exp(-g))) * u
                }
                var f = mv(p + "ffn_down.weight", act)
                if gemma { f = rms(f, w[p + "post_ffw_norm.weight"]) }
                x = zip(x, f).map { $0 + $1 }
                newXs[t] = x
            }
            xs = newXs
            lastProbs.append(layerProbs)
        }
        let hN = rms(xs.last!, w["output_norm.weight"])
        let head = w["output.weight"] != nil ? "output.weight" : "token_embd.weight"
        return (mv(head, hN), lastProbs)
    }
}
