import Foundation
import Testing
import Analysis

/// All permutations of 0..<n (for brute-force checks of the Hungarian algorithm).
func permutations(_ n: Int) -> [[Int]] {
    if n == 0 { return [[]] }
    return permutations(n - 1).flatMap { p in
        (0...p.count).map { i in
            var q = p; q.insert(n - 1, at: i); return q
        }
    }
}

@Suite struct AlignmentTests {
    @Test func hungarianKnownOptimum() {
        // Rows → columns; the optimum is 0→1 (1), 1→0 (2), 2→2 (2): total 5.
        let cost: [[Double]] = [[4, 1, 3], [2, 0, 5], [3, 2, 2]]
        #expect(hungarianAssignment(cost) == [1, 0, 2])
        // 4×4 with optimum 0→3, 1→2, 2→1, 3→0 (the anti-diagonal of ones); every other entry is 9.
        var anti = [[Double]](repeating: [Double](repeating: 9, count: 4), count: 4)
        for i in 0..<4 { anti[i][3 - i] = 1 }
        #expect(hungarianAssignment(anti) == [3, 2, 1, 0])
    }

    @Test func hungarianMatchesBruteForce() {
        var g = TestGenerator(state: 42)
        for n in 1...6 {
            for _ in 0..<10 {
                let cost = (0..<n).map { _ in (0..<n).map { _ in Double(g.next() % 100) } }
                let a = hungarianAssignment(cost)
                #expect(Set(a) == Set(0..<n))
                let total = a.enumerated().map { cost[$0.offset][$0.element] }.reduce(0, +)
                let best = permutations(n).map { p in p.enumerated().map { cost[$0.offset][$0.element] }.reduce(0, +) }
                    .min()!
                #expect(total == best)
            }
        }
    }

    @Test func s2SchemesOnHandBuiltHeads() {
        // Layer n−1 heads: A, B; layer n heads: B, A (swapped). Position pairs A↔B twice, similarity finds 0.
        let a = [1.0, 0.0], b = [0.0, 1.0]
        let previous = [a, b], current = [b, a]
        #expect(s2Position(current: current, previous: previous).perHead == [log(2.0), log(2.0)])
        let sim = s2Similarity(current: current, previous: previous)
        #expect(sim.perHead == [0, 0] && sim.match == [1, 0])
        #expect(s2Hungarian(current: current, previous: previous).match == [1, 0])
        // Expectation over π: ½(ln 2 + 0) per head.
        #expect(s2RandomPairExpectation(current: current, previous: previous).perHead == [log(2.0) / 2, log(2.0) / 2])
        // Ties go to the first index and the map is not one-to-one.
        let tie = s2Similarity(current: [a, a], previous: [a, a])
        #expect(tie.match == [0, 0])
    }

    @Test func randomPairIsDeterministicAndConverges() {
        var g = TestGenerator(state: 3)
        let previous = (0..<4).map { _ in randomRow(9, using: &g) }
        let current = (0..<4).map { _ in randomRow(9, using: &g) }
        var r1 = TestGenerator(state: 2026), r2 = TestGenerator(state: 2026)
        let x = s2RandomPair(current: current, previous: previous, repetitions: 50, using: &r1)
        let y = s2RandomPair(current: current, previous: previous, repetitions: 50, using: &r2)
        #expect(x == y)
        var r3 = TestGenerator(state: 1)
        #expect(randomPermutation(12, using: &r3).sorted() == Array(0..<12))
        // Many draws approach the exact expectation.
        var r4 = TestGenerator(state: 9)
        let many = s2RandomPair(current: current, previous: previous, repetitions: 4000, using: &r4)
        let exact = s2RandomPairExpectation(current: current, previous: previous)
        #expect(abs(many.mean - exact.mean) < 0.01)
        // The identity permutation reproduces the position-based scheme exactly.
        #expect(
            s2RandomPair(current: current, previous: previous, permutations: [[0, 1, 2, 3]]).perHead
                == s2Position(current: current, previous: previous).perHead)
    }

    @Test func s1PropertiesAndHelpers() throws {
        var g = TestGenerator(state: 11)
        let probs: LastRows = (0..<5).map { _ in (0..<3).map { _ in randomRow(8, zeros: true, using: &g) } }
        let m = try s1Matrix(probs)
        for a in 0..<5 {
            #expect(m[a][a] == 0)
            for b in 0..<5 { #expect(m[a][b] == m[b][a] && m[a][b] >= 0 && m[a][b] <= jsdMaximum) }
        }
        #expect(adjacentPairs(m) == [m[0][1], m[1][2], m[2][3], m[3][4]])
        #expect(try meanMatrix([[[1, 2]], [[3, 6]]]) == [[2, 4]])
        #expect(try meanVector([[1, 2], [3, 4]]) == [2, 3])
        // The two-sentence baseline of a sample with itself is its S1 matrix.
        #expect(try twoSentenceMatrix(probs, probs) == m)
        #expect(throws: AnalysisError.self) { try twoSentenceMatrix(probs, [[[1.0]]]) }
        #expect(throws: AnalysisError.self) { try s1Matrix([[[0.5, 0.5]], [[1.0]]]) }
    }
}

@Suite struct StaticMapTests {
    @Test func staticMapAndNearestPair() throws {
        // Two samples' 2×2 head-JSD matrices; means [[0.3, 0.1], [0.2, 0.2]] → map [1, 0] (tie → first).
        let map = try staticSimilarityMap([[[0.4, 0.0], [0.1, 0.3]], [[0.2, 0.2], [0.3, 0.1]]])
        #expect(map.match == [1, 0])
        #expect(abs(map.perHead[0] - 0.1) < 1e-15 && abs(map.perHead[1] - 0.2) < 1e-15)
        let s1: [[Double]] = [[0, 0.04, 0.3], [0.04, 0, 0.11], [0.3, 0.11, 0]]
        #expect(nearestPair(s1, target: 0.05)! == (0, 1, 0.04))
        #expect(nearestPair(s1, target: 0.1)! == (1, 2, 0.11))
        #expect(nearestPair([[0]], target: 0.1) == nil)
    }
}
