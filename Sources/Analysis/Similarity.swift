import Foundation

// Sub-module similarity (Fig. 5a, FIGURES.md Fig 5: uncentred cosine of flattened tensors) and the
// top-k attended positions of a row (Table 11, FIGURES.md Table 11).

/// cos = ⟨a, b⟩ / (‖a‖‖b‖) of two flattened tensors, accumulated in Double. NaN if either norm is 0.
public func cosineSimilarity(_ a: [Double], _ b: [Double]) -> Double {
    precondition(a.count == b.count, "cosine needs tensors of equal size (\(a.count) vs \(b.count))")
    var dot = 0.0, na = 0.0, nb = 0.0
    for k in 0..<a.count {
        dot += a[k] * b[k]
        na += a[k] * a[k]
        nb += b[k] * b[k]
    }
    guard na > 0, nb > 0 else { return .nan }
    return dot / (na.squareRoot() * nb.squareRoot())
}

/// Cosine for float32 tensors (e.g. captured Q, K, V, scores), computed in Double.
public func cosineSimilarity(_ a: [Float], _ b: [Float]) -> Double {
    cosineSimilarity(a.map(Double.init), b.map(Double.init))
}

/// The `k` most attended key positions of a row, largest probability first, lower index on ties.
public func topAttended(_ row: [Double], k: Int = 5) -> [Int] {
    let order = row.indices.sorted { row[$0] != row[$1] ? row[$0] > row[$1] : $0 < $1 }
    return Array(order.prefix(max(0, k)))
}

/// `topAttended` for a float32 row.
public func topAttended(_ row: [Float], k: Int = 5) -> [Int] {
    topAttended(row.map(Double.init), k: k)
}
