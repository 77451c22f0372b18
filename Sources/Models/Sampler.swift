import Basics
import Foundation
import Numerics

/// Chooses the next token from a logit row: greedy, or temperature + nucleus (top-p) sampling.
public struct Sampler: Sendable {
    public var temperature: Float
    public var topP: Float
    public var rng: SeededGenerator

    public static func greedy() -> Sampler { Sampler(temperature: 0, topP: 1, seed: 0) }

    public init(temperature: Float, topP: Float, seed: UInt64) {
        self.temperature = temperature; self.topP = topP; rng = SeededGenerator(seed: seed)
    }

    /// Index of the largest value (first on ties).
    @inlinable
    public static func argmax<C: Collection>(_ logits: C) -> Int where C.Element == Float, C.Index == Int {
        var best = logits.startIndex, bv = -Float.infinity
        for i in logits.indices where logits[i] > bv { bv = logits[i]; best = i }
        return best - logits.startIndex
    }

    public mutating func sample(_ logits: ArraySlice<Float>) -> Int {
        if temperature <= 0 { return Sampler.argmax(logits) }
        let base = logits.startIndex
        var mx = -Float.infinity
        for v in logits where v > mx { mx = v }
        // probabilities at temperature T, in Double for a stable cumulative sum
        var cand: [(id: Int, p: Double)] = []
        cand.reserveCapacity(logits.count)
        var sum = 0.0
        for i in logits.indices {
            let p = exp(Double((logits[i] - mx) / temperature))
            sum += p
            cand.append((i - base, p))
        }
        cand.sort { $0.p > $1.p || ($0.p == $1.p && $0.id < $1.id) }
        // nucleus: the smallest prefix whose mass reaches topP
        var keep = cand.count, acc = 0.0
        if topP < 1 {
            for (j, c) in cand.enumerated() {
                acc += c.p / sum
                if acc >= Double(topP) { keep = j + 1; break }
            }
        }
        let kept = cand.prefix(keep)
        let total = kept.reduce(0) { $0 + $1.p }
        var r = rng.nextUnit() * total
        for c in kept {
            r -= c.p
            if r < 0 { return c.id }
        }
        return kept.last!.id
    }
}

/// Older name of the workbench generator, kept so code written against Models keeps compiling.
public typealias SeededRandom = SeededGenerator
