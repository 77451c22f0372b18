import Foundation

// Table 2's "Avg. Perf. Preserved" exactly as the paper defines it (FIGURES.md C9, issue 17 item 6):
// 100 × the mean over the *scored* benchmarks of score / base, uncapped, each benchmark on its one primary
// metric (C8); LAMBADA (reported as perplexity and accuracy apart) is never part of the average.

/// FIGURES.md C8: the one primary metric per task (nil for a task without one, e.g. LAMBADA, which is reported
/// as perplexity and accuracy apart and is not averaged).
public func primaryMetric(task: String) -> String? {
    switch task {
    case "arc_easy", "arc_challenge", "hellaswag", "piqa", "openbookqa": return "acc_norm"
    case "boolq", "winogrande", "mmlu": return "acc"
    case "gsm8k", "triviaqa", "nq_open", "coqa": return "exact_match"
    default: return nil
    }
}

/// One benchmark's base and method scores on its primary metric.
public struct PreservedEntry: Equatable, Sendable {
    public var task: String
    public var base: Double
    public var score: Double
    public init(task: String, base: Double, score: Double) {
        self.task = task
        self.base = base
        self.score = score
    }
}

/// What the average covers and what it leaves out, with the reason.
public struct PreservedAverage: Equatable, Sendable {
    /// 100 × mean of score / base over `included` (NaN when nothing is included).
    public var percent: Double
    public var included: [String]
    /// task → why it is not in the average ("LAMBADA is not a scored benchmark", "base is 0").
    public var excluded: [String: String]
}

/// 100 × mean over the scored benchmarks of score / base (uncapped). LAMBADA and tasks without a primary
/// metric are excluded; so is a task whose base is 0 (the ratio is undefined), named in `excluded`.
public func averagePreserved(_ entries: [PreservedEntry]) -> PreservedAverage {
    var ratios: [Double] = []
    var included: [String] = []
    var excluded: [String: String] = [:]
    for e in entries {
        if e.task == "lambada" || primaryMetric(task: e.task) == nil {
            excluded[e.task] = "not a scored benchmark (Table 2 averages the 12 non-LAMBADA benchmarks)"
        } else if e.base == 0 || !e.base.isFinite || !e.score.isFinite {
            excluded[e.task] = "base score is 0 or missing (the ratio is undefined)"
        } else {
            ratios.append(e.score / e.base)
            included.append(e.task)
        }
    }
    return PreservedAverage(percent: ratios.isEmpty ? .nan : 100 * mean(ratios), included: included, excluded: excluded)
}
