import Foundation

/// One lm-eval `filter_list` entry: a named pipeline turning the generated text into the answer compared with the
/// references (lm_eval/filters: `regex`, `take_first`, `remove_whitespace`, `lowercase`, `uppercase`). Written as in
/// the YAML: `{"name": "strict-match", "filter": [{"function": "regex", "regex_pattern": "…"}, {"function":
/// "take_first"}]}`.
public struct OutputFilter: Decodable, Equatable, Sendable {
    public enum Step: Equatable, Sendable {
        /// lm-eval RegexFilter: `findall`, the `groupSelect`-th match (negative from the end), the first non-empty
        /// group of a multi-group match, stripped; `fallback` when nothing matches.
        case regex(pattern: String, groupSelect: Int, fallback: String)
        case takeFirst, removeWhitespace, lowercase, uppercase
        case unsupported(String)
    }

    public var name: String
    public var steps: [Step]

    public init(name: String, steps: [Step]) { self.name = name; self.steps = steps }

    enum Keys: String, CodingKey { case name, filter }
    enum StepKeys: String, CodingKey { case function, regex_pattern, group_select, fallback }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        name = try c.decode(String.self, forKey: .name)
        var list = try c.nestedUnkeyedContainer(forKey: .filter)
        steps = []
        while !list.isAtEnd {
            let s = try list.nestedContainer(keyedBy: StepKeys.self)
            let function = try s.decode(String.self, forKey: .function)
            switch function {
            case "regex":
                steps.append(
                    .regex(
                        pattern: try s.decodeIfPresent(String.self, forKey: .regex_pattern) ?? #"#### (\-?[0-9\.\,]+)"#,
                        groupSelect: try s.decodeIfPresent(Int.self, forKey: .group_select) ?? 0,
                        fallback: try s.decodeIfPresent(String.self, forKey: .fallback) ?? "[invalid]"))
            case "take_first": steps.append(.takeFirst)
            case "remove_whitespace": steps.append(.removeWhitespace)
            case "lowercase": steps.append(.lowercase)
            case "uppercase": steps.append(.uppercase)
            default: steps.append(.unsupported(function))
            }
        }
    }

    /// Refuses filter functions that are not implemented and regexes that do not compile.
    func validate(path: String) throws {
        for step in steps {
            switch step {
            case .unsupported(let f):
                throw EvalError.badTaskFile(
                    path: path,
                    reason: "the filter \(name.debugDescription) uses the function \(f), which is not "
                        + "supported (regex, take_first, remove_whitespace, lowercase, uppercase)")
            case .regex(let p, _, _) where (try? NSRegularExpression(pattern: p)) == nil:
                throw EvalError.badTaskFile(
                    path: path,
                    reason: "the filter \(name.debugDescription) has the regex \(p.debugDescription), "
                        + "which does not compile")
            default: continue
            }
        }
    }

    /// The answer this pipeline extracts from one generated text.
    public func apply(_ text: String) -> String {
        var s = text
        for step in steps {
            switch step {
            case let .regex(pattern, group, fallback):
                s = Self.regex(s, pattern: pattern, groupSelect: group, fallback: fallback)
            case .takeFirst, .unsupported: continue  // one response per document: take_first keeps it
            case .removeWhitespace: s = Metrics.removeWhitespace(s)
            case .lowercase: s = s.lowercased()
            case .uppercase: s = s.uppercased()
            }
        }
        return s
    }

    static func regex(_ s: String, pattern: String, groupSelect: Int, fallback: String) -> String {
        guard let re = try? NSRegularExpression(pattern: pattern) else { return fallback }
        let ns = NSRange(s.startIndex..., in: s)
        // Python re.findall: whole matches without groups, the group with one, a tuple of groups with several.
        let found: [[String]] = re.matches(in: s, range: ns).map { m in
            let groups = m.numberOfRanges == 1 ? [0] : Array(1..<m.numberOfRanges)
            return groups.map { g in Range(m.range(at: g), in: s).map { String(s[$0]) } ?? "" }
        }
        guard !found.isEmpty else { return fallback }
        let i = groupSelect < 0 ? found.count + groupSelect : groupSelect
        guard found.indices.contains(i) else { return fallback }  // Python would raise IndexError
        let match = found[i].count == 1 ? found[i][0] : (found[i].first { !$0.isEmpty } ?? fallback)
        return match.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The metric key of pipeline `i`: "exact_match" for the first, "exact_match_<name>" for the others.
    static func metricName(_ filters: [OutputFilter], _ i: Int) -> String {
        i == 0
            ? "exact_match"
            : "exact_match_" + filters[i].name.map { $0.isLetter || $0.isNumber ? String($0) : "_" }.joined()
    }
}
