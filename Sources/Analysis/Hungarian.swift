import Foundation

// Best one-to-one head matching (our extension to S2, FIGURES.md Fig 2 "optional extra"): the assignment
// of minimal total cost, by the Hungarian algorithm (Kuhn–Munkres with potentials, O(n³)).

/// For a square cost matrix `cost[i][j]`, returns `assignment` with `assignment[i] = j`, a permutation
/// minimising Σ_i cost[i][assignment[i]].
public func hungarianAssignment(_ cost: [[Double]]) -> [Int] {
    let n = cost.count
    guard n > 0 else { return [] }
    precondition(cost.allSatisfy { $0.count == n }, "the Hungarian algorithm needs a square cost matrix")
    // 1-based arrays; column 0 is the virtual start column.
    var u = [Double](repeating: 0, count: n + 1)
    var v = [Double](repeating: 0, count: n + 1)
    var rowOfColumn = [Int](repeating: 0, count: n + 1)
    var way = [Int](repeating: 0, count: n + 1)
    for i in 1...n {
        rowOfColumn[0] = i
        var j0 = 0
        var minSlack = [Double](repeating: .infinity, count: n + 1)
        var used = [Bool](repeating: false, count: n + 1)
        repeat {
            used[j0] = true
            let i0 = rowOfColumn[j0]
            var delta = Double.infinity
            var j1 = 0
            for j in 1...n where !used[j] {
                let slack = cost[i0 - 1][j - 1] - u[i0] - v[j]
                if slack < minSlack[j] { minSlack[j] = slack; way[j] = j0 }
                if minSlack[j] < delta { delta = minSlack[j]; j1 = j }
            }
            for j in 0...n {
                if used[j] { u[rowOfColumn[j]] += delta; v[j] -= delta } else { minSlack[j] -= delta }
            }
            j0 = j1
        } while rowOfColumn[j0] != 0
        repeat {
            let j1 = way[j0]
            rowOfColumn[j0] = rowOfColumn[j1]
            j0 = j1
        } while j0 != 0
    }
    var assignment = [Int](repeating: -1, count: n)
    for j in 1...n where rowOfColumn[j] > 0 { assignment[rowOfColumn[j] - 1] = j - 1 }
    return assignment
}
