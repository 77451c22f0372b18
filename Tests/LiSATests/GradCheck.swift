import Foundation
import LiSA
import Models
import Numerics

/// What a finite-difference check compared: a check that compared nothing proves nothing, so every test
/// asserts `compared` as well as `worst`.
struct GradCheckResult {
    /// Max relative error over the compared coordinates (0 when none were compared).
    var worst = 0.0
    /// Coordinates whose difference quotient was compared with the analytic gradient.
    var compared = 0
    /// Sampled coordinates left out by the caller's `skip` rule (e.g. masked entries).
    var skipped = 0
    /// Sampled coordinates left out because a kink lies within ε of them.
    var kinks = 0

    /// Both checks together: the larger error, the counts summed.
    func merged(_ other: GradCheckResult) -> GradCheckResult {
        GradCheckResult(
            worst: max(worst, other.worst), compared: compared + other.compared,
            skipped: skipped + other.skipped, kinks: kinks + other.kinks)
    }
}

/// Central finite differences against an analytic gradient, on up to `samples` coordinates of `param`.
/// The error is the max relative error |num − ana| / max(|num|, |ana|, 0.01·max|ana| of the tensor, 1e-3).
/// Why this tolerance: the forward runs in Float32, so the loss carries a round-off of ~1e-7·√N·|y| and
/// the difference quotient an absolute error of ~1e-5 at ε = 1e-2 (the O(ε²) truncation is ~1e-4 relative);
/// gradients far below the tensor's own scale are compared against that scale instead of against 0.
func gradCheck(
    _ param: FloatBuffer, _ analytic: FloatBuffer, eps: Float = 1e-2, samples: Int = 40,
    skip: (Int) -> Bool = { _ in false }, loss: () -> Double
) -> GradCheckResult {
    precondition(param.count == analytic.count, "gradCheck: \(param.count) parameters, \(analytic.count) gradients")
    var result = GradCheckResult(), scale = 0.0
    for i in 0..<analytic.count { scale = max(scale, abs(Double(analytic[i]))) }
    let floor = max(0.01 * scale, 1e-3)
    let step = max(1, param.count / samples)
    var i = step / 2
    func difference(_ e: Float, _ i: Int) -> Double {
        let old = param[i]
        param[i] = old + e; let lp = loss()
        param[i] = old - e; let lm = loss()
        param[i] = old
        return (lp - lm) / (2 * Double(e))
    }
    while i < param.count {
        defer { i += step }
        if skip(i) { result.skipped += 1; continue }
        // A ReLU kink inside [θ−ε, θ+ε] makes the difference quotient meaningless there: detect it by
        // a second quotient at ε/4 disagreeing, and skip (counted and printed) rather than loosen the tolerance.
        let num = difference(eps, i), num4 = difference(eps / 4, i), ana = Double(analytic[i])
        let den = max(abs(num), abs(ana), floor)
        if abs(num - num4) / den > 0.05 { result.kinks += 1; continue }
        result.compared += 1
        result.worst = max(result.worst, abs(num - ana) / den)
    }
    if result.kinks > 0 {
        print("gradcheck: skipped \(result.kinks) of \(result.kinks + result.compared) coordinates straddling a kink")
    }
    return result
}

func randomBuffer(_ n: Int, _ rng: inout GaussianRNG, scale: Float = 1) -> FloatBuffer {
    let b = FloatBuffer(count: n)
    for i in 0..<n { b[i] = rng.next() * scale }
    return b
}

/// Σ c_i·x_i over finite x (a fixed random linear functional used as the loss).
func dot(_ x: FloatBuffer, _ c: FloatBuffer) -> Double {
    var s = 0.0
    for i in 0..<x.count where x[i].isFinite { s += Double(x[i]) * Double(c[i]) }
    return s
}
