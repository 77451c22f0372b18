import Foundation
import Basics

/// The default number of instances per task for the similarity study (paper §3.1: 100 random instances).
public let defaultSampleSize = 100

/// `n` distinct indices out of 0..<population, drawn without replacement from `seed` (FIGURES.md C7):
/// every index gets a 64-bit key from the generator, in index order; the `n` smallest keys win (ties by
/// index). Returned in ascending index order, so the records keep their file order.
public func sampleIndices(population: Int, n: Int, seed: UInt64) -> [Int] {
    precondition(n >= 0 && n <= population, "cannot sample \(n) of \(population)")
    var rng = SeededGenerator(seed: seed)
    let keys = (0..<population).map { _ in rng.next() }
    let chosen = (0..<population).sorted { keys[$0] != keys[$1] ? keys[$0] < keys[$1] : $0 < $1 }.prefix(n)
    return chosen.sorted()
}

/// `n` records of `records`, drawn by `sampleIndices`, with their 0-based positions in the file.
public func sample<R>(_ records: [R], n: Int, seed: UInt64, file: String) throws -> [(index: Int, record: R)] {
    guard n <= records.count else {
        throw DatasetError.sampleTooLarge(file: file, requested: n, available: records.count)
    }
    return sampleIndices(population: records.count, n: n, seed: seed).map { ($0, records[$0]) }
}
