import Foundation

/// Table 9's task levels by DS loss (FIGURES.md Table 9): low < 40 ≤ moderate < 70 ≤ high (our choice of
/// inclusivity); a negative loss (DS better than the base model) counts as low.
public enum LossLevel: String, Codable, Sendable, CaseIterable {
    case low, moderate, high

    public init(loss: Double) {
        if loss < 40 { self = .low } else if loss < 70 { self = .moderate } else { self = .high }
    }

    /// The paper's colours (green, yellow, red), as words for markdown.
    public var colour: String {
        switch self {
        case .low: return "green";
        case .moderate: return "yellow";
        case .high: return "red"
        }
    }
}

/// FIGURES.md C9: Perf. Loss = 100 × (base − score) / base. Nil when the base is 0 (the loss is undefined).
/// For perplexity-like metrics (lower is better) the sign flips: loss = 100 × (score − base) / base.
public func performanceLoss(base: Double, score: Double, lowerIsBetter: Bool = false) -> Double? {
    guard base != 0, base.isFinite, score.isFinite else { return nil }
    return lowerIsBetter ? 100 * (score - base) / base : 100 * (base - score) / base
}
