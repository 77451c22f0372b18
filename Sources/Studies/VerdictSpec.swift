import Foundation

// A study file's machine-checkable claims (issue 17, item 3). Next to the free-text `claim:`, a study lists
//
//   claims:
//     - quote: "the JS divergence score near the diagonal line remains below 0.05"
//       section: "§3.2, Fig 3"
//       finding: a                      # one of the paper's four core findings (FINDINGS.md), optional
//       verdicts:
//         - {measure: s1_adjacent_below, threshold: 0.1, expect: most}
//
// The vocabulary (studies/VERDICTS.md documents each measure, its statistic and the rule):
//   s1_adjacent_below       share of adjacent pairs whose mean S1 JSD < threshold; expect most | all | none
//   s1_adjacent_mean_below  mean adjacent S1 JSD < threshold (kind: s1 | s1_excl_first)
//   s1_offdiagonal_mean_below  mean S1 JSD over all layer pairs a ≠ b < threshold
//   s2_mean_below           mean S2 JSD of `scheme` over adjacent pairs < threshold
//   s2_compare              `scheme` vs `than` (paired per sample); expect greater (with `factor`) | equal
//   two_sentence_above      the two-sentence baseline's adjacent JSD above the same-input adjacent S1 JSD
//   cosine_mean             mean cosine of `submodule` over adjacent pairs; expect above | below threshold
//   shallow_vs_deep         sensitivity: shallow half of the pairs loses more than the deep half under
//                           `policy`, by `metric` (accuracy | gold_ll), paired per document
//   deep_keeps              sensitivity: share of the deep half's pairs keeping ≥ threshold × baseline (accuracy)

/// One rule: a measure, its parameters and the expected outcome.
public struct VerdictRule: Codable, Equatable, Sendable {
    public var measure: String
    /// Task to evaluate on (default: every task of the study that has the measure).
    public var task: String?
    public var threshold: Double?
    /// most | all | none | below | above | greater | equal (per measure; see VERDICTS.md).
    public var expect: String?
    /// S2 scheme (position, randomExpectation, randomSingleDraw, similarity, hungarian, static).
    public var scheme: String?
    /// The second S2 scheme of s2_compare.
    public var than: String?
    /// s2_compare / two_sentence_above with expect greater: the ratio that makes "≫" (default 1: any excess).
    public var factor: Double?
    /// s2_compare with expect equal: relative difference still counted as equal (default 0.1).
    public var tolerance: Double?
    /// s1 | s1_excl_first (s1_adjacent_* measures).
    public var kind: String?
    /// Sub-module of cosine_mean (Q, K, V, A, P, C, O).
    public var submodule: String?
    /// ds | uniform (sensitivity measures).
    public var policy: String?
    /// accuracy | gold_ll (sensitivity measures; accuracy = the task's primary metric).
    public var metric: String?

    /// The S1 result the s1_* measures read (`kind:`, checked when the file is read).
    var s1Kind: ResultKind { kind == ResultKind.s1ExclFirst.rawValue ? .s1ExclFirst : .s1 }

    public static let measures = [
        "s1_adjacent_below", "s1_adjacent_mean_below", "s1_offdiagonal_mean_below", "s2_mean_below",
        "s2_compare", "two_sentence_above", "cosine_mean", "shallow_vs_deep", "deep_keeps",
    ]
}

/// A quoted claim of the paper with its section, the finding it belongs to and its rules.
public struct ClaimSpec: Codable, Equatable, Sendable {
    public var quote: String
    public var section: String
    /// a, b, c or d (FINDINGS.md's four core findings).
    public var finding: String?
    public var verdict: VerdictRule?
    public var verdicts: [VerdictRule]?
    /// Why a difference is expected on this model (printed beside a "no" or "partly").
    public var note: String?

    public var rules: [VerdictRule] { (verdict.map { [$0] } ?? []) + (verdicts ?? []) }
}

/// The outcome of a claim: yes, partly, no, or n/a (nothing to judge: floor, missing data).
public enum Agreement: String, Codable, Sendable {
    case yes, partly, no
    case notApplicable = "n/a"

    /// all yes → yes; all no → no; n/a parts are left out; anything else → partly.
    public static func combine(_ parts: [Agreement]) -> Agreement {
        let judged = parts.filter { $0 != .notApplicable }
        if judged.isEmpty { return .notApplicable }
        if judged.allSatisfy({ $0 == .yes }) { return .yes }
        if judged.allSatisfy({ $0 == .no }) { return .no }
        return .partly
    }
}

/// One rule's result: what was measured (with s.e.), the agreement and the reason when it is not "yes".
public struct RuleOutcome: Codable, Sendable {
    public var measurement: String
    public var agrees: Agreement
    public var why: String
    /// Samples or documents behind the measurement (below `minimumVerdictSamples` no verdict is given).
    public var n: Int?

    public init(measurement: String, agrees: Agreement, why: String, n: Int? = nil) {
        self.measurement = measurement
        self.agrees = agrees
        self.why = why
        self.n = n
    }
}

/// Fewer samples than this give a measurement but no verdict: a standard error from a handful of samples
/// (a bootstrap of 2 samples, say) is itself too uncertain to judge a claim by.
public let minimumVerdictSamples = 10

/// One claim's row of a verdict table.
public struct ClaimVerdict: Codable, Sendable {
    public var claim: ClaimSpec
    public var outcomes: [RuleOutcome]
    public var agrees: Agreement { Agreement.combine(outcomes.map(\.agrees)) }
}

/// Checks a study file's rules before anything runs: unknown measures and missing parameters are errors.
func validateClaims(_ claims: [ClaimSpec]?, file: String) throws {
    for (i, c) in (claims ?? []).enumerated() {
        if c.rules.isEmpty {
            throw StudyError.malformed(file: file, reason: "claims[\(i)] has no verdict rule (verdict: or verdicts:)")
        }
        if let f = c.finding, !["a", "b", "c", "d"].contains(f) {
            throw StudyError.malformed(file: file, reason: "claims[\(i)].finding must be a, b, c or d, got \"\(f)\"")
        }
        for r in c.rules {
            guard VerdictRule.measures.contains(r.measure) else {
                throw StudyError.malformed(
                    file: file,
                    reason: "claims[\(i)]: unknown measure \"\(r.measure)\" "
                        + "(known: \(VerdictRule.measures.joined(separator: ", ")); see studies/VERDICTS.md)")
            }
            let needsThreshold = [
                "s1_adjacent_below", "s1_adjacent_mean_below", "s1_offdiagonal_mean_below", "s2_mean_below",
                "cosine_mean", "deep_keeps",
            ]
            if needsThreshold.contains(r.measure), r.threshold == nil {
                throw StudyError.malformed(file: file, reason: "claims[\(i)]: measure \(r.measure) needs threshold:")
            }
            if let k = r.kind, ![ResultKind.s1.rawValue, ResultKind.s1ExclFirst.rawValue].contains(k) {
                throw StudyError.malformed(
                    file: file, reason: "claims[\(i)]: kind: \"\(k)\" is neither s1 nor s1_excl_first")
            }
            if ["s2_mean_below", "s2_compare"].contains(r.measure), r.scheme == nil {
                throw StudyError.malformed(file: file, reason: "claims[\(i)]: measure \(r.measure) needs scheme:")
            }
            if r.measure == "s2_compare", r.than == nil || !["greater", "equal"].contains(r.expect ?? "") {
                throw StudyError.malformed(
                    file: file, reason: "claims[\(i)]: s2_compare needs than: and expect: greater or equal")
            }
            if ["shallow_vs_deep", "deep_keeps"].contains(r.measure), !["ds", "uniform"].contains(r.policy ?? "") {
                throw StudyError.malformed(
                    file: file, reason: "claims[\(i)]: measure \(r.measure) needs policy: ds or uniform")
            }
            if r.measure == "cosine_mean", r.submodule == nil || !["above", "below"].contains(r.expect ?? "") {
                throw StudyError.malformed(
                    file: file, reason: "claims[\(i)]: cosine_mean needs submodule: and expect: above or below")
            }
        }
    }
}
