import Analysis
import Foundation
import Models

// Fig 5a (FIGURES.md Fig 5 default): cosine between layers n−1 and n of each attention sub-module
// X ∈ {Q, K, V, A = QKᵀ·s, P, C = PV, O}, uncentred, all positions, per sample. Q and K as they enter
// QKᵀ (after QK-norm and RoPE); K and V have h_kv·d_k columns. A and P use the causal entries only;
// for A, entries masked (−inf) in either layer (Gemma's sliding window) are left out.

/// The sub-modules compared, in the order of the plot legend.
public let submoduleNames = ["Q", "K", "V", "A", "P", "C", "O"]

/// Collects, for one forward pass, cos(X_{n−1}, X_n) for every adjacent pair and sub-module.
final class SubmoduleCosineTap: AttentionTap {
    let qDim: Int, kvDim: Int, d: Int
    private var previous: [String: [Float]] = [:]
    /// X → [pair k] = cos(X_k, X_{k+1}).
    private(set) var cosine: [String: [Double]] = [:]

    init(config c: ModelConfig) { qDim = c.qDim; kvDim = c.kvDim; d = c.nEmbd }

    var wantsSubmodules: Bool { true }

    func submodules(_ e: SubmoduleEvent) {
        let T = e.qLen
        record("Q", Array(UnsafeBufferPointer(start: e.q, count: T * qDim)), layer: e.layer)
        record("K", Array(UnsafeBufferPointer(start: e.k, count: T * kvDim)), layer: e.layer)
        record("V", Array(UnsafeBufferPointer(start: e.v, count: T * kvDim)), layer: e.layer)
        record("C", Array(UnsafeBufferPointer(start: e.context, count: T * qDim)), layer: e.layer)
        record("O", Array(UnsafeBufferPointer(start: e.output, count: T * d)), layer: e.layer)
    }

    func attention(_ e: AttentionEvent) {
        var a: [Float] = [], p: [Float] = []
        a.reserveCapacity(e.heads * e.qLen * (e.qLen + 1) / 2); p.reserveCapacity(a.capacity)
        for h in 0..<e.heads {
            for i in 0..<e.qLen {
                let visible = e.qStart + i + 1  // causal: keys 0…q
                let sr = e.scoreRow(head: h, query: i), pr = e.probRow(head: h, query: i)
                for k in 0..<visible { a.append(sr[k]); p.append(pr[k]) }
            }
        }
        record("A", a, layer: e.layer)
        record("P", p, layer: e.layer)
    }

    private func record(_ name: String, _ x: [Float], layer: Int) {
        if layer > 0, let prev = previous[name], prev.count == x.count {
            cosine[name, default: []].append(finiteCosine(prev, x))
        }
        previous[name] = x
    }
}

/// Uncentred cosine over the entries finite in both tensors, in Double.
func finiteCosine(_ a: [Float], _ b: [Float]) -> Double {
    var dot = 0.0, na = 0.0, nb = 0.0
    for k in 0..<a.count where a[k].isFinite && b[k].isFinite {
        let x = Double(a[k]), y = Double(b[k])
        dot += x * y; na += x * x; nb += y * y
    }
    return na > 0 && nb > 0 ? dot / (na.squareRoot() * nb.squareRoot()) : .nan
}

public struct CosineResult: Codable {
    public var samples: Int
    /// X → [pair k], mean over samples of cos(X_k, X_{k+1}).
    public var curves: [String: [Double]]
    /// X → [pair k], the analytic s.e. of that mean over samples (absent before issue 17).
    public var se: [String: [Double]]?
}
