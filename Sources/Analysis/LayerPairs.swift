import Foundation

// S2 over layer pairs of one sample (FIGURES.md C5, Fig 5b–d). Element k of an adjacent sweep is the
// pair (layer k, layer k+1), i.e. (n−1, n) with n = k+1, as in oracles/ATTENTION.md.

/// Which S2 head alignment to use (paper §3.1 / Fig. 2; `hungarian` is our extension).
public enum S2Scheme: String, CaseIterable, Sendable {
    case position, similarity, randomExpectation, hungarian

    /// Aligns layer n (`current`) with its front layer (`previous`).
    public func align(current: [[Double]], previous: [[Double]]) -> S2Alignment {
        switch self {
        case .position: return s2Position(current: current, previous: previous)
        case .similarity: return s2Similarity(current: current, previous: previous)
        case .randomExpectation: return s2RandomPairExpectation(current: current, previous: previous)
        case .hungarian: return s2Hungarian(current: current, previous: previous)
        }
    }
}

/// S2 for every adjacent pair (k, k+1), k = 0..L−2, of one sample.
public func s2Adjacent(_ probs: LastRows, scheme: S2Scheme) throws -> [S2Alignment] {
    let (layers, _, _) = try validateShape(probs)
    guard layers >= 2 else { return [] }
    return (1..<layers).map { n in scheme.align(current: probs[n], previous: probs[n - 1]) }
}

/// Random-pair S2 for every adjacent pair, drawing `repetitions` permutations per pair from `rng`
/// (the "single draw" curve is `repetitions: 1`).
public func s2AdjacentRandomPair<G: RandomNumberGenerator>(
    _ probs: LastRows, repetitions: Int,
    using rng: inout G
) throws -> [S2Alignment] {
    let (layers, _, _) = try validateShape(probs)
    guard layers >= 2 else { return [] }
    return (1..<layers).map { n in
        s2RandomPair(current: probs[n], previous: probs[n - 1], repetitions: repetitions, using: &rng)
    }
}

/// FIGURES.md C5 extension (ours, labelled): one fixed alignment for a layer pair over all samples,
/// j*(i) = argmin_j of the sample-mean JSD(p_{n,i}, p_{n−1,j}) (first index on ties). `perSample` holds
/// each sample's `headJSDMatrix` for the pair; `perHead` is the sample-mean JSD under that fixed map.
public func staticSimilarityMap(_ perSample: [[[Double]]]) throws -> S2Alignment {
    let meanD = try meanMatrix(perSample)
    var match: [Int] = [], perHead: [Double] = []
    for row in meanD {
        var best = 0
        for j in row.indices where row[j] < row[best] { best = j }
        match.append(best)
        perHead.append(row[best])
    }
    return S2Alignment(perHead: perHead, match: match)
}

/// Fig 12 default (FIGURES.md): the layer pair (a < b) whose S1 JSD is nearest `target`
/// (first pair in row-major order on ties).
public func nearestPair(_ s1: [[Double]], target: Double) -> (a: Int, b: Int, jsd: Double)? {
    var best: (a: Int, b: Int, jsd: Double)?
    for a in s1.indices {
        for b in (a + 1)..<max(a + 1, s1.count) where best == nil || abs(s1[a][b] - target) < abs(best!.jsd - target) {
            best = (a, b, s1[a][b])
        }
    }
    return best
}
