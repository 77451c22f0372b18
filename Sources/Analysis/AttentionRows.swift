import Foundation

/// Last-token attention rows of one sample: `probs[l][h][k]` = P(query T−1 attends key k) in layer l,
/// query head h (FIGURES.md C2/C3: query heads, post-softmax, keys 0..T−1).
public typealias LastRows = [[[Double]]]

/// Shape problems in attention rows, worded for the user.
public enum AnalysisError: Error, CustomStringConvertible, Equatable {
    case empty(String)
    case ragged(what: String, expected: Int, found: Int, at: String)
    case mismatch(what: String, first: Int, second: Int)

    public var description: String {
        switch self {
        case .empty(let what):
            return "The attention rows are empty: \(what)."
        case .ragged(let what, let expected, let found, let at):
            return "The attention rows are ragged: expected \(expected) \(what) but found \(found) at \(at)."
        case .mismatch(let what, let a, let b):
            return "The two inputs differ in \(what): \(a) vs \(b)."
        }
    }
}

/// Converts captured float32 rows `[L][H][T]` to Double once.
public func lastRows(_ probs: [[[Float]]]) -> LastRows {
    probs.map { $0.map { $0.map(Double.init) } }
}

/// Checks that `probs` is a full [L][H][T] block (L, H, T ≥ 1) and returns (L, H, T).
@discardableResult
public func validateShape(_ probs: LastRows) throws -> (layers: Int, heads: Int, keys: Int) {
    guard let first = probs.first, let firstHead = first.first else {
        throw AnalysisError.empty("no layers or no heads")
    }
    let (h, t) = (first.count, firstHead.count)
    guard t > 0 else { throw AnalysisError.empty("rows of zero key positions") }
    for (l, layer) in probs.enumerated() {
        guard layer.count == h else {
            throw AnalysisError.ragged(what: "heads", expected: h, found: layer.count, at: "layer \(l)")
        }
        for (i, row) in layer.enumerated() where row.count != t {
            throw AnalysisError.ragged(what: "key positions", expected: t, found: row.count, at: "layer \(l) head \(i)")
        }
    }
    return (probs.count, h, t)
}

/// p̄_n = (1/h) Σ_i p_{n,i}: the head-averaged row of one layer (S1, FIGURES.md C5).
public func headMean(_ heads: [[Double]]) -> [Double] {
    precondition(!heads.isEmpty, "headMean needs at least one head")
    var sum = [Double](repeating: 0, count: heads[0].count)
    for row in heads {
        precondition(row.count == sum.count, "heads of one layer must share the key positions")
        for k in 0..<row.count { sum[k] += row[k] }
    }
    let h = Double(heads.count)
    return sum.map { $0 / h }
}

/// Drops key 0 and renormalises: p′_k = p_k / Σ_{j≥1} p_j (Fig. 4b first-token ablation,
/// FIGURES.md Fig 4; identical to re-softmaxing the remaining scores). Needs T ≥ 2.
public func dropFirstKey(_ row: [Double]) -> [Double] {
    precondition(row.count >= 2, "the first-token ablation needs at least 2 key positions")
    let rest = row[1...]
    let total = rest.reduce(0, +)
    return rest.map { $0 / total }
}

/// The first-token ablation applied per head, before any head averaging, for all layers.
public func dropFirstKey(_ probs: LastRows) -> LastRows {
    probs.map { layer in layer.map(dropFirstKey) }
}
