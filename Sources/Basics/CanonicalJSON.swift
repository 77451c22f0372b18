import Foundation

/// The workbench's one JSON configuration, for everything it stores, looks up or writes: keys sorted (so a value
/// has one encoding, and stored run parameters compare as text), a non-finite number written as the string "inf",
/// "-inf" or "nan" (a perplexity over no documents or a −inf log-likelihood must not crash a run), and Foundation's
/// defaults otherwise ("/" escaped as "\/": stored identities were written that way and must stay equal).
public enum CanonicalJSON {
    static let nonFinite = (positive: "inf", negative: "-inf", nan: "nan")

    /// `pretty`: indented, for files a person reads (`--out`); the key order and number policy are the same.
    public static func encoder(pretty: Bool = false) -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys] : [.sortedKeys]
        e.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: nonFinite.positive,
            negativeInfinity: nonFinite.negative, nan: nonFinite.nan)
        return e
    }

    /// Reads what `encoder` wrote (the non-finite strings back to numbers).
    public static func decoder() -> JSONDecoder {
        let d = JSONDecoder()
        d.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: nonFinite.positive,
            negativeInfinity: nonFinite.negative, nan: nonFinite.nan)
        return d
    }

    /// `value` as compact canonical text. Encoding plain values (numbers, strings, arrays, records of them) cannot
    /// fail.
    public static func string<T: Encodable>(_ value: T) -> String {
        String(decoding: data(value), as: UTF8.self)
    }

    public static func data<T: Encodable>(_ value: T, pretty: Bool = false) -> Data {
        do { return try encoder(pretty: pretty).encode(value) } catch {
            preconditionFailure("a plain value failed to encode as JSON: \(error)")
        }
    }

    public static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        try decoder().decode(type, from: Data(text.utf8))
    }

    /// JSON from a dictionary of plain values (the commands' `--json` lines, the export's JSON file), by the same
    /// policy: sorted keys, non-finite numbers as strings; one line unless `pretty`.
    public static func line(_ object: [String: Any], pretty: Bool = false) -> String {
        String(decoding: objectData(object, pretty: pretty), as: UTF8.self)
    }

    public static func objectData(_ object: [String: Any], pretty: Bool = false) -> Data {
        do {
            return try JSONSerialization.data(
                withJSONObject: finite(object), options: pretty ? [.prettyPrinted, .sortedKeys] : [.sortedKeys])
        } catch { preconditionFailure("a plain value failed to encode as JSON: \(error)") }
    }

    /// `object` with every non-finite Double replaced by its string (JSONSerialization refuses them).
    static func finite(_ object: Any) -> Any {
        switch object {
        case let d as Double where d.isNaN: return nonFinite.nan
        case let d as Double where d.isInfinite: return d > 0 ? nonFinite.positive : nonFinite.negative
        case let f as Float where !f.isFinite: return finite(Double(f))
        case let a as [Any]: return a.map(finite)
        case let o as [String: Any]: return o.mapValues(finite)
        default: return object
        }
    }
}
