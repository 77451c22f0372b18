import Foundation
import Testing
import Analysis

/// A small deterministic generator for the tests (SplitMix64), so no test depends on system randomness.
struct TestGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A random probability row of `n` positions (some exact zeros when `zeros` is set).
func randomRow(_ n: Int, zeros: Bool = false, using g: inout TestGenerator) -> [Double] {
    var r = (0..<n).map { _ in Double(g.next() % 1000) / 1000.0 }
    if zeros { for k in 0..<n where g.next() % 4 == 0 { r[k] = 0 } }
    if r.allSatisfy({ $0 == 0 }) { r[0] = 1 }
    let s = r.reduce(0, +)
    return r.map { $0 / s }
}

@Suite struct JensenShannonTests {
    @Test func disjointRowsGiveLn2() {
        // m = [½, ½]; KL(p‖m) = 1·ln(1/½) = ln 2, same for q → JSD = ln 2.
        #expect(abs(jsd([1.0, 0.0], [0.0, 1.0]) - log(2.0)) < 1e-15)
        #expect(abs(jsdMaximum - 0.6931471805599453) < 1e-15)
    }

    @Test func identicalRowsGiveZero() {
        let p = [0.2, 0.3, 0.5]
        #expect(jsd(p, p) == 0)
        #expect(jsd([Float(0.25), 0.75], [0.25, 0.75]) == 0)
    }

    @Test func threeElementCasesByHand() {
        // p = [½, ½, 0], q = [0, ½, ½]: m = [¼, ½, ¼].
        // KL(p‖m) = ½ ln(½/¼) + ½ ln(½/½) = ½ ln 2; KL(q‖m) = ½ ln 2 by symmetry → JSD = ½ ln 2 = 0.34657359.
        #expect(abs(jsd([0.5, 0.5, 0], [0, 0.5, 0.5]) - 0.5 * log(2.0)) < 1e-15)
        // p = [1, 0, 0], q = [⅓, ⅓, ⅓]: m = [⅔, ⅙, ⅙].
        // KL(p‖m) = ln(1/⅔) = ln 1.5; KL(q‖m) = ⅓ ln(⅓/⅔) + 2·⅓ ln(⅓/⅙) = −⅓ ln 2 + ⅔ ln 2 = ⅓ ln 2.
        // JSD = ½ ln 1.5 + ⅙ ln 2 = 0.2027325541 + 0.1155245301 = 0.3182570842.
        #expect(abs(jsd([1, 0, 0], [1.0 / 3, 1.0 / 3, 1.0 / 3]) - 0.3182570842) < 1e-9)
    }

    @Test func symmetricAndBounded() {
        var g = TestGenerator(state: 7)
        for n in [2, 3, 10, 57] {
            for _ in 0..<20 {
                let p = randomRow(n, zeros: true, using: &g), q = randomRow(n, zeros: true, using: &g)
                let d = jsd(p, q)
                #expect(d == jsd(q, p))
                #expect(d >= 0 && d <= jsdMaximum + 1e-15)
            }
        }
    }

    @Test func firstTokenAblationRenormalises() {
        // [0.5, 0.25, 0.25] → drop key 0 → [0.25, 0.25] / 0.5 = [0.5, 0.5].
        #expect(dropFirstKey([0.5, 0.25, 0.25]) == [0.5, 0.5])
        #expect(dropFirstKey([0.9, 0.02, 0.08]).map { ($0 * 1e12).rounded() / 1e12 } == [0.2, 0.8])
    }

    @Test func cosineAndTopK() {
        #expect(abs(cosineSimilarity([1.0, 0, 0], [2.0, 0, 0]) - 1) < 1e-15)
        #expect(cosineSimilarity([1.0, 0], [0, 3.0]) == 0)
        // ⟨(1,2,3),(4,5,6)⟩ = 32; ‖·‖ = √14, √77 → 32/√1078 = 0.974631846.
        #expect(abs(cosineSimilarity([Float(1), 2, 3], [4, 5, 6]) - 0.974631846) < 1e-9)
        #expect(cosineSimilarity([0.0, 0], [1.0, 1]).isNaN)
        // Ties (0.2 at 1, 3, 5) go to the lower index.
        #expect(topAttended([0.05, 0.2, 0.1, 0.2, 0.05, 0.2, 0.2]) == [1, 3, 5, 6, 2])
        #expect(topAttended([0.7, 0.3], k: 5) == [0, 1])
    }
}
