import Foundation

/// The metrics of lm-evaluation-harness (lm_eval/api/metrics.py), as pure functions.
public enum Metrics {
    /// acc: argmax of the summed log-likelihoods; acc_norm: argmax of log-likelihood / character length of
    /// the choice (lm-eval `multiple_choice` process_results). Ties go to the first choice (np.argmax).
    public static func multipleChoice(
        logLikelihoods ll: [Double], choiceLengths: [Int], gold: Int
    )
        -> (prediction: Int, predictionNorm: Int, acc: Bool, accNorm: Bool)
    {
        let p = argmax(ll)
        let pn = argmax(zip(ll, choiceLengths).map { $0 / Double(max($1, 1)) })
        return (p, pn, p == gold, pn == gold)
    }

    static func argmax(_ v: [Double]) -> Int {
        var best = 0
        for i in v.indices where v[i] > v[best] { best = i }
        return best
    }

    /// lm-eval `mean_stderr`: sample standard deviation / √n; for 0/1 scores √(p(1−p)/(n−1)).
    public static func standardError(_ scores: [Double]) -> Double {
        let n = Double(scores.count)
        guard n > 1 else { return 0 }
        let m = scores.reduce(0, +) / n
        return (scores.reduce(0) { $0 + ($1 - m) * ($1 - m) } / (n - 1) / n).squareRoot()
    }

    /// LAMBADA perplexity aggregation: exp(−mean over documents of log p(target | context)).
    public static func perplexity(logLikelihoods: [Double]) -> Double {
        exp(-logLikelihoods.reduce(0, +) / Double(max(logLikelihoods.count, 1)))
    }

    /// HF `evaluate` exact_match as lm-eval calls it: drop each regex in `regexesToIgnore` from both strings,
    /// then lower-case, then strip ASCII punctuation (Python `string.punctuation`), then compare. With
    /// several references the document counts if any matches.
    public static func exactMatch(
        _ prediction: String, references: [String], ignoreCase: Bool,
        ignorePunctuation: Bool, regexesToIgnore: [String]
    ) -> Bool {
        func norm(_ s: String) -> String {
            var t = s
            for r in regexesToIgnore { t = t.replacingOccurrences(of: r, with: "", options: .regularExpression) }
            if ignoreCase { t = t.lowercased() }
            if ignorePunctuation {
                t = String(t.unicodeScalars.filter { !pythonPunctuation.contains($0) }.map(Character.init))
            }
            return t
        }
        let p = norm(prediction)
        return references.contains { norm($0) == p }
    }

    static let pythonPunctuation = Set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~".unicodeScalars)

    /// lm-eval `remove_whitespace` filter: drops leading whitespace.
    public static func removeWhitespace(_ s: String) -> String {
        String(s.drop { $0.isWhitespace })
    }

    /// gsm8k_cot `strict-match`: the first "The answer is (\-?[0-9\.\,]+)." group, else "[invalid]".
    public static func gsm8kStrict(_ s: String) -> String {
        firstGroup(#"The answer is (\-?[0-9\.\,]+)."#, s) ?? "[invalid]"
    }

    /// gsm8k_cot `flexible-extract`: the last match of (-?[$0-9.,]{2,})|(-?[0-9]+), else "[invalid]".
    public static func gsm8kFlexible(_ s: String) -> String {
        guard let re = try? NSRegularExpression(pattern: #"(-?[$0-9.,]{2,})|(-?[0-9]+)"#),
            let m = re.matches(in: s, range: NSRange(s.startIndex..., in: s)).last
        else { return "[invalid]" }
        for g in 1...2 {
            if let r = Range(m.range(at: g), in: s) { return String(s[r]) }
        }
        return "[invalid]"
    }

    static func firstGroup(_ pattern: String, _ s: String) -> String? {
        guard let re = try? NSRegularExpression(pattern: pattern),
            let m = re.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)),
            let r = Range(m.range(at: 1), in: s)
        else { return nil }
        return String(s[r])
    }
}
