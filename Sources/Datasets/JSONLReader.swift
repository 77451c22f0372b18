import Foundation

// Reads one-object-per-line JSONL files into typed records. Lines split on "\n" (data/README.md: every
// file splits identically on "\n" and on str.splitlines()); a final empty line is allowed.

/// A record type that can also check its values after decoding (e.g. label ranges).
public protocol JSONLRecord: Decodable, Sendable {
    /// Throws `invalidValue` (naming file:line) when a decoded value is impossible.
    func validate(file: String, line: Int) throws
}

public extension JSONLRecord {
    func validate(file: String, line: Int) throws {}
}

/// The raw lines of a text file (without the trailing empty line), checked for existence and UTF-8.
/// Lines end in LF; a CR before the LF (Windows) is dropped. A byte-order mark, a CR-only line ending and
/// invalid UTF-8 are errors naming the file (and the line).
public func readLines(_ url: URL) throws -> [Substring] {
    var isDir: ObjCBool = false
    guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir) else {
        throw DatasetError.missingFile(path: url.path)
    }
    guard !isDir.boolValue else {
        throw DatasetError.unreadable(path: url.path, reason: "it is a directory, not a file")
    }
    let data: Data
    do { data = try Data(contentsOf: url) } catch {
        throw DatasetError.unreadable(path: url.path, reason: (error as NSError).localizedFailureReason ?? "\(error)")
    }
    if data.starts(with: [0xEF, 0xBB, 0xBF]) {
        throw DatasetError.unreadable(
            path: url.path, reason: "it starts with a UTF-8 byte-order mark (EF BB BF); save it without one")
    }
    // Split bytes, not Characters: "\r\n" is a single Character, so a String split on "\n" keeps CRLF lines joined.
    var lines = data.split(separator: 0x0A, omittingEmptySubsequences: false)
    if lines.last?.isEmpty == true { lines.removeLast() }
    var out: [Substring] = []
    out.reserveCapacity(lines.count)
    for (i, raw) in lines.enumerated() {
        let bytes = raw.last == 0x0D ? raw.dropLast() : raw
        if bytes.contains(0x0D) {
            throw DatasetError.badLineEnding(file: url.path, line: i + 1)
        }
        guard let text = String(data: Data(bytes), encoding: .utf8) else {
            throw DatasetError.invalidUTF8(file: url.path, line: i + 1)
        }
        out.append(Substring(text))
    }
    return out
}

/// Decodes every line of a JSONL file as `R`; the first bad line throws an error naming file:line. A file
/// without any record is an error too (an empty data set would score as NaN).
public func readJSONL<R: JSONLRecord>(_ type: R.Type, from url: URL) throws -> [R] {
    let lines = try readLines(url)
    guard lines.contains(where: { !$0.allSatisfy(\.isWhitespace) }) else {
        throw DatasetError.noRecords(path: url.path)
    }
    let decoder = JSONDecoder()
    var records: [R] = []
    records.reserveCapacity(lines.count)
    for (i, line) in lines.enumerated() {
        let record = try decodeLine(R.self, line, file: url.path, line: i + 1, decoder: decoder)
        try record.validate(file: url.path, line: i + 1)
        records.append(record)
    }
    return records
}

/// Decodes one line, turning `DecodingError` into a `DatasetError` sentence.
func decodeLine<R: Decodable>(
    _ type: R.Type, _ text: Substring, file: String, line: Int, decoder: JSONDecoder
) throws -> R {
    if text.allSatisfy(\.isWhitespace) {
        throw DatasetError.badJSON(file: file, line: line, reason: "the line is empty")
    }
    do {
        return try decoder.decode(R.self, from: Data(text.utf8))
    } catch let error as DecodingError {
        throw datasetError(error, text, file: file, line: line)
    }
}

func datasetError(_ error: DecodingError, _ text: Substring, file: String, line: Int) -> DatasetError {
    func path(_ codingPath: [CodingKey], _ last: CodingKey? = nil) -> String {
        (codingPath + (last.map { [$0] } ?? [])).map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            .joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
    }
    switch error {
    case .keyNotFound(let key, let ctx):
        return .missingField(file: file, line: line, field: path(ctx.codingPath, key))
    case .typeMismatch(let type, let ctx) where ctx.codingPath.isEmpty:
        return .badJSON(file: file, line: line, reason: "expected \(jsonTypeName(type)) at the top level")
    case .typeMismatch(let type, let ctx), .valueNotFound(let type, let ctx):
        return .wrongType(file: file, line: line, field: path(ctx.codingPath), expected: jsonTypeName(type))
    case .dataCorrupted(let ctx) where ctx.codingPath.isEmpty:
        return topLevelCorruption(text, file: file, line: line, fallback: ctx.debugDescription)
    case .dataCorrupted(let ctx):
        return .wrongType(
            file: file, line: line, field: path(ctx.codingPath), expected: "a value that fits (\(ctx.debugDescription))"
        )
    @unknown default:
        return .badJSON(file: file, line: line, reason: "\(error)")
    }
}

/// JSONDecoder on Linux says only "not valid JSON" both for broken syntax and for a number that does not
/// fit (e.g. 1.5 for an integer field), so re-parse to tell which and where.
func topLevelCorruption(_ text: Substring, file: String, line: Int, fallback: String) -> DatasetError {
    let parsed: Any
    do { parsed = try JSONSerialization.jsonObject(with: Data(text.utf8)) } catch {
        let reason = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? fallback
        return .badJSON(file: file, line: line, reason: reason)
    }
    // No record field is fractional, so a number that is not an integer, or one too large for Int, is the culprit.
    if let object = parsed as? [String: Any] {
        for key in object.keys.sorted() {
            guard let n = object[key] as? NSNumber, !(object[key] is Bool) else { continue }
            if n.doubleValue.rounded() != n.doubleValue {
                return .wrongType(file: file, line: line, field: key, expected: "an integer")
            }
            if n.doubleValue.magnitude >= 0x1p63 {
                return .invalidValue(file: file, line: line, field: key, reason: "is \(n), out of the integer range")
            }
        }
    }
    return .badJSON(file: file, line: line, reason: fallback)
}

/// JSON words for the Swift types the records use.
func jsonTypeName(_ type: Any.Type) -> String {
    switch String(describing: type) {
    case "String": return "a string"
    case "Int": return "an integer"
    case "Bool": return "a boolean"
    case "Double": return "a number"
    case let s where s.hasPrefix("Array"): return "an array"
    case let s where s.hasPrefix("Dictionary"): return "a JSON object"
    default: return "a \(type)"
    }
}
