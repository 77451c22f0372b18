import Foundation

/// SplitMix64 (Steele, Lea & Flood 2014): the workbench's seeded generator. Its 64-bit outputs depend only
/// on the seed, so a sample drawn from a recorded seed is identical on every platform. Analysis takes any
/// `RandomNumberGenerator`; pass this one there too (e.g. for random-pair S2).
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    /// The seed this generator started from (to record next to results).
    public let seed: UInt64
    private var state: UInt64

    public init(seed: UInt64) {
        self.seed = seed
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

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
    guard n <= records.count else { throw DatasetError.sampleTooLarge(file: file, requested: n, available: records.count) }
    return sampleIndices(population: records.count, n: n, seed: seed).map { ($0, records[$0]) }
}
