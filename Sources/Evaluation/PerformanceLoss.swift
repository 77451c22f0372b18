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

/// One row of Table 9: a task's base score, its DS score under a sharing config, the loss and its level.
public struct Table9Row: Codable, Sendable, Equatable {
    public var task: String
    public var metric: String
    public var n: Int
    public var base: Double
    public var score: Double
    public var loss: Double?
    public var level: LossLevel?
    /// The majority-class rate of the documents (BoolQ: "always yes"), printed beside the base score (C8).
    public var majorityRate: Double?

    public init(task: String, metric: String, n: Int, base: Double, score: Double, majorityRate: Double? = nil) {
        self.task = task; self.metric = metric; self.n = n; self.base = base; self.score = score;
        self.majorityRate = majorityRate
        loss = performanceLoss(base: base, score: score, lowerIsBetter: metric == "perplexity")
        // Table 9 levels its 12 scored tasks; LAMBADA (perplexity) is reported apart, with a loss but no level.
        level = task == "lambada" ? nil : loss.map { LossLevel(loss: $0) }
    }
}

/// Table 9 as markdown, rows ordered by DS loss ascending (the paper's order); undefined losses last.
public func table9Markdown(_ rows: [Table9Row], configLabel: String) -> String {
    let sorted = rows.sorted { ($0.loss ?? .infinity, $0.task) < ($1.loss ?? .infinity, $1.task) }
    var lines = [
        "| task | metric | n | base | \(configLabel) | Perf. Loss % | level |", "|---|---|---:|---:|---:|---:|---|",
    ]
    for r in sorted {
        let scale = r.metric == "perplexity" ? 1.0 : 100.0
        let base =
            String(format: "%.2f", scale * r.base)
            + (r.task == "boolq" ? r.majorityRate.map { String(format: " (majority class %.1f)", 100 * $0) } ?? "" : "")
        lines.append(
            String(
                format: "| %@ | %@ | %d | %@ | %.2f | %@ | %@ |", r.task, r.metric, r.n, base, scale * r.score,
                r.loss.map { String(format: "%.1f", $0) } ?? "undefined (base 0)",
                r.level.map { "\($0.rawValue) (\($0.colour))" } ?? (r.task == "lambada" ? "– (reported apart)" : "–")))
    }
    return lines.joined(separator: "\n")
}
