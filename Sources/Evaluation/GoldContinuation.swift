import Foundation

// The gold continuation of a generation document and its log-likelihood (issue 17, item 2): a generation
// task's exact match is 0/1 and at the floor on a small model (Gemma 3 270M solves almost no GSM8K item),
// while the log-likelihood of the reference solution under the same prompt moves with every perturbation.
// Sensitivity studies compare it per document (paired) across configurations. Stored as the document score
// `gold_log_likelihood` (nats, summed over the continuation's tokens); multiple-choice documents need no
// extra score: their gold choice's log-likelihood is already stored.

/// The reference continuation scored for a generation document, or nil when the task has none.
/// GSM8K: the dataset's solution in the chain-of-thought exemplars' form — calculator annotations
/// `<<…>>` removed, lines joined by spaces, "#### N" replaced by "The answer is N." — after one space
/// (the prompt ends in "A:"). Other generation tasks: " " + the first reference answer.
public func goldContinuation(_ spec: TaskSpec, _ doc: Document, references: [String]) -> String? {
    if spec.extraction == .gsm8k, case .text(let answer)? = doc.fields["answer"] {
        let plain = answer.replacingOccurrences(of: #"<<[^>]*>>"#, with: "", options: .regularExpression)
        let parts = plain.components(separatedBy: "####")
        let steps = parts[0].split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
            !$0.isEmpty
        }
        let final = parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespacesAndNewlines) : nil
        return " " + (steps + (final.map { ["The answer is \($0)."] } ?? [])).joined(separator: " ")
    }
    return references.first.map { " " + $0 }
}

/// Adds `gold_log_likelihood` to a generation document's scores: log p(gold continuation | context) with the
/// run's policies. Left out (not an error) when the task has no gold text or context + gold exceed the model's
/// context length. The scorer starts the document afresh, so the value does not depend on what ran before.
func addGoldLogLikelihood(
    _ r: DocumentResult, spec: TaskSpec, doc: Document, context: String, references: [String],
    scorer: ContextScorer, prefix: [Int]? = nil
) throws -> DocumentResult {
    guard let gold = goldContinuation(spec, doc, references: references) else { return r }
    let (c, k) = scorer.encodePair(context: context, continuation: gold)
    guard !k.isEmpty, c.count + k.count <= scorer.transformer.config.contextLength else { return r }
    try scorer.beginDocument()
    var out = r
    out.scores["gold_log_likelihood"] = try scorer.logLikelihood(context: c, continuation: k, prefix: prefix).logProb
    return out
}
