import Foundation

/// What can go wrong reading the data dir; each case reads as a sentence naming the file.
public enum DatasetError: Error, CustomStringConvertible, Equatable {
    /// A data file is absent.
    case missingFile(path: String)
    /// A file exists but cannot be read (permissions, not UTF-8, …).
    case unreadable(path: String, reason: String)
    /// A line is not valid JSON (or is empty).
    case badJSON(file: String, line: Int, reason: String)
    /// A record lacks a required field.
    case missingField(file: String, line: Int, field: String)
    /// A field has the wrong JSON type.
    case wrongType(file: String, line: Int, field: String, expected: String)
    /// A field has the right type but an impossible value (e.g. label 2 for a two-way choice).
    case invalidValue(file: String, line: Int, field: String, reason: String)
    /// A line is not UTF-8 text.
    case invalidUTF8(file: String, line: Int)
    /// A line holds a CR that does not end it (CR-only, old-Mac line endings).
    case badLineEnding(file: String, line: Int)
    /// A data file holds no record.
    case noRecords(path: String)
    /// A sample asks for more records than the file holds.
    case sampleTooLarge(file: String, requested: Int, available: Int)

    public var description: String {
        switch self {
        case .missingFile(let path):
            return "The data file \(path) does not exist. Point `--data` at the data folder or set LISA_DATA "
                + "(default: ../shared/data relative to the current directory)."
        case .unreadable(let path, let reason):
            return "The data file \(path) cannot be read: \(reason)."
        case .badJSON(let file, let line, let reason):
            return "\(file):\(line): the line is not a valid JSON object (\(reason))."
        case .missingField(let file, let line, let field):
            return "\(file):\(line): the record has no field \"\(field)\"."
        case .wrongType(let file, let line, let field, let expected):
            return "\(file):\(line): the field \"\(field)\" should be \(expected)."
        case .invalidValue(let file, let line, let field, let reason):
            return "\(file):\(line): the field \"\(field)\" \(reason)."
        case .invalidUTF8(let file, let line):
            return "\(file):\(line): the line is not valid UTF-8 text."
        case .badLineEnding(let file, let line):
            return "\(file):\(line): the line holds a carriage return (CR) that does not end it; the file seems to use "
                + "CR-only line endings, which are not supported (use LF or CRLF)."
        case .noRecords(let path):
            return "The data file \(path) holds no records: it is empty."
        case .sampleTooLarge(let file, let requested, let available):
            return "Cannot sample \(requested) records from \(file): it holds only \(available)."
        }
    }
}
