import Basics
import Foundation

// S2 (paper §3.1, Fig. 2 right, Fig. 5b–d; FIGURES.md C5): align the heads of layer n with those of
// layer n−1, score each aligned pair by JSD, average over heads. Current layer → preceding layer.

/// One S2 alignment for one layer pair of one sample.
public struct S2Alignment: Equatable, Sendable {
    /// `perHead[i]` = JSD(p_{n,i}, p_{n−1, match[i]}) (for random-pair: the mean over repetitions).
    public var perHead: [Double]
    /// `match[i]` = the preceding-layer head aligned with head i (nil for random-pair).
    public var match: [Int]?
    /// (1/h) Σ_i perHead[i].
    public var mean: Double { Analysis.mean(perHead) }
}

/// D[i][j] = JSD(p_{n,i}, p_{n−1,j}) for every head pair of (current = layer n, previous = layer n−1).
public func headJSDMatrix(current: [[Double]], previous: [[Double]]) -> [[Double]] {
    current.map { row in previous.map { jsd(row, $0) } }
}

/// Position-based: head i ↔ head i.
public func s2Position(current: [[Double]], previous: [[Double]]) -> S2Alignment {
    precondition(current.count == previous.count, "S2 needs the same head count in both layers")
    let perHead = zip(current, previous).map { jsd($0, $1) }
    return S2Alignment(perHead: perHead, match: Array(current.indices))
}

/// Similarity-based (oracle): each head i to its most similar preceding head, min_j JSD; the first
/// index wins ties; not one-to-one. `match` is the argmin map.
public func s2Similarity(current: [[Double]], previous: [[Double]]) -> S2Alignment {
    let d = headJSDMatrix(current: current, previous: previous)
    var perHead: [Double] = [], match: [Int] = []
    for row in d {
        var best = 0
        for j in 1..<max(1, row.count) where row[j] < row[best] { best = j }
        perHead.append(row[best])
        match.append(best)
    }
    return S2Alignment(perHead: perHead, match: match)
}

/// Best one-to-one matching (our extension): the permutation of minimal total JSD (Hungarian).
public func s2Hungarian(current: [[Double]], previous: [[Double]]) -> S2Alignment {
    precondition(current.count == previous.count, "a one-to-one matching needs the same head count in both layers")
    let d = headJSDMatrix(current: current, previous: previous)
    let match = hungarianAssignment(d)
    return S2Alignment(perHead: match.enumerated().map { d[$0.offset][$0.element] }, match: match)
}

/// Random-pair, exact expectation (FIGURES.md C5 default): perHead[i] = (1/h) Σ_j JSD(p_{n,i}, p_{n−1,j}),
/// the mean over a uniformly random π(i), one-to-one or with replacement alike.
public func s2RandomPairExpectation(current: [[Double]], previous: [[Double]]) -> S2Alignment {
    let d = headJSDMatrix(current: current, previous: previous)
    return S2Alignment(perHead: d.map(mean), match: nil)
}

/// Random-pair with explicit permutations: perHead[i] = mean over r of JSD(p_{n,i}, p_{n−1,π_r(i)}).
public func s2RandomPair(current: [[Double]], previous: [[Double]], permutations: [[Int]]) -> S2Alignment {
    precondition(!permutations.isEmpty, "random-pair S2 needs at least one permutation")
    let h = current.count
    var perHead = [Double](repeating: 0, count: h)
    for pi in permutations {
        precondition(
            pi.count == h && Set(pi) == Set(0..<previous.count), "each permutation must map the \(h) heads one-to-one")
        for i in 0..<h { perHead[i] += jsd(current[i], previous[pi[i]]) }
    }
    let r = Double(permutations.count)
    return S2Alignment(perHead: perHead.map { $0 / r }, match: permutations.count == 1 ? permutations[0] : nil)
}

/// Random-pair with `repetitions` seeded permutations drawn from `rng` (the caller records its seed;
/// Datasets' `SeededGenerator` is the workbench's generator).
public func s2RandomPair<G: RandomNumberGenerator>(
    current: [[Double]], previous: [[Double]],
    repetitions: Int, using rng: inout G
) -> S2Alignment {
    let perms = (0..<repetitions).map { _ in randomPermutation(current.count, using: &rng) }
    return s2RandomPair(current: current, previous: previous, permutations: perms)
}

/// A uniform random permutation of 0..<n by Fisher–Yates with our own unbiased bounded draw, so the
/// result depends only on the generator's 64-bit outputs (identical on every platform).
public func randomPermutation<G: RandomNumberGenerator>(_ n: Int, using rng: inout G) -> [Int] {
    var p = Array(0..<n)
    var i = n - 1
    while i > 0 {
        let j = Int(boundedRandom(UInt64(i + 1), using: &rng))
        p.swapAt(i, j)
        i -= 1
    }
    return p
}

/// Uniform integer in 0..<bound (Lemire's multiply-shift with rejection).
public func boundedRandom<G: RandomNumberGenerator>(_ bound: UInt64, using rng: inout G) -> UInt64 {
    precondition(bound > 0)
    let threshold = (0 &- bound) % bound
    while true {
        let product = rng.next().multipliedFullWidth(by: bound)
        if product.low >= threshold { return product.high }
    }
}
