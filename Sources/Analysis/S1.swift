import Foundation

// S1 (paper §3.1, Fig. 2 left; FIGURES.md C5): average the heads of each layer, then compare layers.
//   p̄_n = (1/h) Σ_i p_{n,i};  S1(a, b) = (1/N) Σ_s JSD(p̄^s_a, p̄^s_b)

/// S1 for one sample: the symmetric [L][L] JSD matrix between head-averaged rows, zero diagonal.
public func s1Matrix(_ probs: LastRows) throws -> [[Double]] {
    let (layers, _, _) = try validateShape(probs)
    let means = probs.map(headMean)
    var matrix = [[Double]](repeating: [Double](repeating: 0, count: layers), count: layers)
    for a in 0..<layers {
        for b in (a + 1)..<max(a + 1, layers) {
            let d = jsd(means[a], means[b])
            matrix[a][b] = d
            matrix[b][a] = d
        }
    }
    return matrix
}

/// S1 after the first-token ablation (Fig. 4b): drop key 0 per head, renormalise, then S1.
public func s1MatrixExcludingFirst(_ probs: LastRows) throws -> [[Double]] {
    let (_, _, keys) = try validateShape(probs)
    guard keys >= 2 else { throw AnalysisError.empty("the first-token ablation needs at least 2 key positions") }
    return try s1Matrix(dropFirstKey(probs))
}

/// Fig. 4a two-sentence baseline: B(a, b) = JSD(p̄^s_a, p̄^{s′}_b), layer a of sample s against layer b
/// of sample s′. Full [L][L], not symmetric; both samples must have the same token count (FIGURES.md Fig 4).
public func twoSentenceMatrix(_ first: LastRows, _ second: LastRows) throws -> [[Double]] {
    let (l1, _, t1) = try validateShape(first)
    let (l2, _, t2) = try validateShape(second)
    guard l1 == l2 else { throw AnalysisError.mismatch(what: "layer count", first: l1, second: l2) }
    guard t1 == t2 else { throw AnalysisError.mismatch(what: "token count", first: t1, second: t2) }
    let a = first.map(headMean), b = second.map(headMean)
    return a.map { rowA in b.map { rowB in jsd(rowA, rowB) } }
}

/// Element-wise mean of equally shaped matrices: the (1/N) Σ_s over samples.
public func meanMatrix(_ matrices: [[[Double]]]) throws -> [[Double]] {
    guard let first = matrices.first else { throw AnalysisError.empty("no matrices to average") }
    var sum = first.map { $0.map { _ in 0.0 } }
    for m in matrices {
        guard m.count == sum.count else {
            throw AnalysisError.mismatch(what: "row count", first: sum.count, second: m.count)
        }
        for r in 0..<m.count {
            guard m[r].count == sum[r].count else {
                throw AnalysisError.mismatch(what: "column count of row \(r)", first: sum[r].count, second: m[r].count)
            }
            for c in 0..<m[r].count { sum[r][c] += m[r][c] }
        }
    }
    let n = Double(matrices.count)
    return sum.map { $0.map { $0 / n } }
}

/// Element-wise mean of equally long vectors (per-pair S2 curves over samples).
public func meanVector(_ vectors: [[Double]]) throws -> [Double] {
    try meanMatrix(vectors.map { [$0] })[0]
}

/// `matrix[k][k+1]` for k = 0..L−2: element k is the adjacent pair (layer k, layer k+1).
public func adjacentPairs(_ matrix: [[Double]]) -> [Double] {
    guard matrix.count >= 2 else { return [] }
    return (0..<(matrix.count - 1)).map { matrix[$0][$0 + 1] }
}

/// Mean of the off-diagonal entries (a ≠ b).
public func offDiagonalMean(_ matrix: [[Double]]) -> Double {
    var sum = 0.0, n = 0
    for a in 0..<matrix.count {
        for b in 0..<matrix[a].count where a != b {
            sum += matrix[a][b]
            n += 1
        }
    }
    return n == 0 ? 0 : sum / Double(n)
}

/// Arithmetic mean of a vector (0 for an empty one).
public func mean(_ values: [Double]) -> Double {
    values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count)
}
