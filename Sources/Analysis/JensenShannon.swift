import Foundation

// Jensen–Shannon divergence between two attention rows (paper §3.1, FIGURES.md C4; the exact formula
// of oracles/ATTENTION.md "Schema: js_<model>.json"):
//   KL(p‖m) = Σ_{k: p_k > 0} p_k · ln(p_k / m_k)     (0 · ln 0 = 0, no epsilon)
//   JSD(p, q) = ½ KL(p‖m) + ½ KL(q‖m),  m = (p + q) / 2
// Natural log (nats, 0 ≤ JSD ≤ ln 2), accumulated in Double. Rows are not renormalised.

/// KL(p‖m) over the support of `p`; `m_k > 0` wherever `p_k > 0` (true for m = (p+q)/2).
public func klDivergence(_ p: [Double], _ m: [Double]) -> Double {
    precondition(p.count == m.count, "KL needs rows of equal length (\(p.count) vs \(m.count))")
    var sum = 0.0
    for k in 0..<p.count where p[k] > 0 {
        sum += p[k] * Foundation.log(p[k] / m[k])
    }
    return sum
}

/// JSD(p, q) in nats for two probability rows over the same key positions.
public func jsd(_ p: [Double], _ q: [Double]) -> Double {
    precondition(p.count == q.count, "JSD needs rows over the same keys (\(p.count) vs \(q.count) positions)")
    var m = [Double](repeating: 0, count: p.count)
    for k in 0..<p.count { m[k] = (p[k] + q[k]) * 0.5 }
    return 0.5 * klDivergence(p, m) + 0.5 * klDivergence(q, m)
}

/// JSD for Float rows (e.g. captured float32 probs), computed in Double.
public func jsd(_ p: [Float], _ q: [Float]) -> Double {
    jsd(p.map(Double.init), q.map(Double.init))
}

/// The upper bound of `jsd` in nats (ln 2).
public let jsdMaximum: Double = Foundation.log(2.0)
