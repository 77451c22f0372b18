import Basics
import Foundation

// Standard errors for every number a report prints (issue 17, item 2): the analytic s.e. of a mean, a seeded
// bootstrap over samples for any statistic of per-sample values, and paired differences for comparisons on
// the same samples or documents. Pure functions; the generator is the workbench's SplitMix64 (`SeededGenerator`),
// so a bootstrap gives the same numbers on every platform.

/// A measured value with its standard error (and, from a bootstrap, a 95 % percentile interval).
public struct Estimate: Codable, Equatable, Sendable {
    public var value: Double
    public var se: Double
    /// 2.5 % and 97.5 % percentiles of the bootstrap distribution (nil for an analytic s.e.).
    public var low: Double?
    public var high: Double?
    public var n: Int

    public init(value: Double, se: Double, low: Double? = nil, high: Double? = nil, n: Int) {
        self.value = value
        self.se = se
        self.low = low
        self.high = high
        self.n = n
    }

    /// "0.0412 ± 0.0031" with `digits` decimals (× `scale`, e.g. 100 for percentages).
    public func formatted(_ digits: Int = 4, scale: Double = 1) -> String {
        guard value.isFinite else { return "–" }
        let v = String(format: "%.\(digits)f", scale * value)
        return se.isFinite ? v + " ± " + String(format: "%.\(digits)f", scale * se) : v
    }

    /// |value| > k · se: the value differs from 0 beyond k standard errors (k = 2: "outside the noise").
    public func beyond(_ k: Double = 2) -> Bool { se.isFinite && abs(value) > k * se }
}

/// The analytic standard error of a mean: sample standard deviation (n − 1) / √n; lm-eval's `mean_stderr`
/// (for 0/1 scores √(p(1 − p)/(n − 1))). NaN for fewer than 2 values.
public func standardErrorOfMean(_ v: [Double]) -> Double {
    let n = Double(v.count)
    guard n > 1 else { return .nan }
    let m = mean(v)
    return (v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / (n - 1) / n).squareRoot()
}

/// The mean with its analytic standard error.
public func meanEstimate(_ v: [Double]) -> Estimate {
    Estimate(value: v.isEmpty ? .nan : mean(v), se: standardErrorOfMean(v), n: v.count)
}

/// Percentile of a sample, linear between order statistics (numpy's default); NaN for an empty one.
public func percentile(_ v: [Double], _ q: Double) -> Double {
    let s = v.sorted()
    guard !s.isEmpty else { return .nan }
    let pos = q * Double(s.count - 1)
    let lo = Int(pos.rounded(.down))
    let hi = min(lo + 1, s.count - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - Double(lo))
}

/// Seeded bootstrap over n samples: `resamples` times, draw n indices with replacement and evaluate
/// `statistic` on them. The estimate is the statistic on all samples; the s.e. is the standard deviation
/// (n − 1) of the resampled values; the interval their 2.5 % and 97.5 % percentiles.
public func bootstrap(n: Int, resamples: Int = 1000, seed: UInt64, statistic: ([Int]) -> Double) -> Estimate {
    let all = Array(0..<n)
    let full = n > 0 ? statistic(all) : .nan
    guard n > 1, resamples > 1 else { return Estimate(value: full, se: .nan, n: n) }
    var rng = SeededGenerator(seed: seed)
    var values: [Double] = []
    values.reserveCapacity(resamples)
    var idx = [Int](repeating: 0, count: n)
    for _ in 0..<resamples {
        for k in 0..<n { idx[k] = Int(boundedRandom(UInt64(n), using: &rng)) }
        values.append(statistic(idx))
    }
    let finite = values.filter(\.isFinite)
    let m = mean(finite)
    let sd =
        finite.count > 1
        ? (finite.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(finite.count - 1)).squareRoot() : .nan
    return Estimate(value: full, se: sd, low: percentile(finite, 0.025), high: percentile(finite, 0.975), n: n)
}

/// Bootstrap s.e. of the mean of `v` (tests compare it with `standardErrorOfMean`).
public func bootstrapMean(_ v: [Double], resamples: Int = 1000, seed: UInt64) -> Estimate {
    bootstrap(n: v.count, resamples: resamples, seed: seed) { idx in idx.reduce(0) { $0 + v[$1] } / Double(idx.count) }
}

/// Element-wise bootstrap of a per-sample vector's mean: `perSample[s][k]` → for each k the mean over samples
/// with its bootstrap s.e. One set of resampled index lists serves all k (the same seed gives the same draws).
public func bootstrapMeanVector(_ perSample: [[Double]], resamples: Int = 1000, seed: UInt64) -> [Estimate] {
    guard let width = perSample.first?.count else { return [] }
    return (0..<width).map { k in bootstrapMean(perSample.map { $0[k] }, resamples: resamples, seed: seed) }
}

/// The number of k whose sample-mean of `perSample[s][k]` is below `threshold`, with its bootstrap
/// distribution (resampling samples, not pairs): the "adjacent pairs < 0.05" count of a report.
public func bootstrapCountBelow(
    _ perSample: [[Double]], threshold: Double, resamples: Int = 1000, seed: UInt64
) -> Estimate {
    guard let width = perSample.first?.count else { return Estimate(value: .nan, se: .nan, n: 0) }
    return bootstrap(n: perSample.count, resamples: resamples, seed: seed) { idx in
        var below = 0
        for k in 0..<width {
            let m = idx.reduce(0) { $0 + perSample[$1][k] } / Double(idx.count)
            if m < threshold { below += 1 }
        }
        return Double(below)
    }
}

/// Paired difference of two measurements on the same samples or documents: mean of a[i] − b[i] with the
/// analytic s.e. of that mean (the per-item differences' standard deviation / √n).
public func pairedDifference(_ a: [Double], _ b: [Double]) -> Estimate {
    precondition(
        a.count == b.count, "a paired difference needs the same items on both sides (\(a.count) vs \(b.count))")
    return meanEstimate(zip(a, b).map { $0 - $1 })
}

/// Paired difference over the keys both dictionaries hold (e.g. document index → score), in key order.
public func pairedDifference(_ a: [Int: Double], _ b: [Int: Double]) -> Estimate {
    let keys = Set(a.keys).intersection(b.keys).sorted()
    return pairedDifference(keys.map { a[$0]! }, keys.map { b[$0]! })
}

/// Difference of two independent estimates (different samples): value a − b, s.e. √(se_a² + se_b²).
public func unpairedDifference(_ a: Estimate, _ b: Estimate) -> Estimate {
    Estimate(value: a.value - b.value, se: (a.se * a.se + b.se * b.se).squareRoot(), n: min(a.n, b.n))
}

/// The binomial standard error √(p(1 − p)/n) of an accuracy p over n items (NaN for n = 0).
public func binomialStandardError(p: Double, n: Int) -> Double {
    n > 0 ? (p * (1 - p) / Double(n)).squareRoot() : .nan
}

/// Which entries of a ranking differ beyond `k` s.e.: `differences[i][j]` is entry i minus entry j
/// (paired where the entries share items). Returns the pairs (i, j), i < j, with |d| > k · se.
public func separablePairs(_ differences: [[Estimate]], k: Double = 2) -> [(Int, Int)] {
    var out: [(Int, Int)] = []
    for i in differences.indices {
        for j in (i + 1)..<max(i + 1, differences[i].count) where differences[i][j].beyond(k) { out.append((i, j)) }
    }
    return out
}

/// The share of items in the majority class (BoolQ's "always yes" rate, FIGURES.md C8 / issue 17 item 6).
public func majorityClassRate(_ labels: [Int]) -> Double {
    guard !labels.isEmpty else { return .nan }
    var counts: [Int: Int] = [:]
    for l in labels { counts[l, default: 0] += 1 }
    return Double(counts.values.max()!) / Double(labels.count)
}
