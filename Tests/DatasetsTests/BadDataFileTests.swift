import Foundation
import Testing
import TestSupport
import Datasets

/// Issue 15: line endings, byte-order marks, invalid UTF-8, out-of-range numbers and empty files in JSONL data.
@Suite struct BadDataFileTests {
    static func file(_ bytes: [UInt8], _ name: String = "validation.jsonl") throws -> URL {
        let u = try TestPaths.tempDir("datasets").appendingPathComponent(name)
        try Data(bytes).write(to: u)
        return u
    }

    static let line1 = #"{"goal":"g1","sol1":"a","sol2":"b","label":0}"#
    static let line2 = #"{"goal":"g2","sol1":"c","sol2":"d","label":1}"#

    @Test func crlfLinesAreAccepted() throws {
        let u = try Self.file(Array((Self.line1 + "\r\n" + Self.line2 + "\r\n").utf8))
        let r = try readJSONL(PIQARecord.self, from: u)
        #expect(r.map(\.goal) == ["g1", "g2"] && r.map(\.label) == [0, 1])
        #expect(try readLines(u) == [Substring(Self.line1), Substring(Self.line2)])
    }

    @Test func crOnlyLineEndingsAreNamed() throws {
        let u = try Self.file(Array((Self.line1 + "\r" + Self.line2 + "\r").utf8))
        let expected = DatasetError.badLineEnding(file: u.path, line: 1)
        #expect(throws: expected) { try readJSONL(PIQARecord.self, from: u) }
        #expect(
            expected.description.hasPrefix("\(u.path):1: the line holds a carriage return (CR) that does not end it"))
    }

    @Test func byteOrderMarkIsNamed() throws {
        let u = try Self.file([0xEF, 0xBB, 0xBF] + Array((Self.line1 + "\n").utf8))
        let expected = DatasetError.unreadable(
            path: u.path, reason: "it starts with a UTF-8 byte-order mark (EF BB BF); save it without one")
        #expect(throws: expected) { try readJSONL(PIQARecord.self, from: u) }
    }

    @Test func invalidUTF8NamesTheLine() throws {
        var bytes = Array((Self.line1 + "\n" + Self.line2 + "\n" + Self.line1 + "\n").utf8)
        bytes[Self.line1.utf8.count + 1 + 10] = 0xFF  // inside line 2's "g2"
        let u = try Self.file(bytes)
        let expected = DatasetError.invalidUTF8(file: u.path, line: 2)
        #expect(throws: expected) { try readJSONL(PIQARecord.self, from: u) }
        #expect(expected.description == "\(u.path):2: the line is not valid UTF-8 text.")
    }

    @Test func emptyFileIsAnError() throws {
        for bytes in [[], [0x0A]] as [[UInt8]] {
            let u = try Self.file(bytes)
            let expected = DatasetError.noRecords(path: u.path)
            #expect(throws: expected) { try readJSONL(PIQARecord.self, from: u) }
            #expect(expected.description == "The data file \(u.path) holds no records: it is empty.")
        }
    }

    @Test(arguments: ["99999999999999999999", "1e30", "-1e300"])
    func integerOutOfRangeIsNamed(_ number: String) throws {
        let u = try Self.file(Array(#"{"goal":"g","sol1":"a","sol2":"b","label":\#(number)}"#.utf8) + [0x0A])
        do {
            _ = try readJSONL(PIQARecord.self, from: u); Issue.record("\(number) was accepted")
        } catch let e as DatasetError {
            #expect(e.description.hasPrefix("\(u.path):1: the field \"label\""), "\(e)")
        }
    }

    @Test func directoryIsNamed() throws {
        let dir = try TestPaths.tempDir("datasets")
        #expect(throws: DatasetError.unreadable(path: dir.path, reason: "it is a directory, not a file")) {
            try readJSONL(PIQARecord.self, from: dir)
        }
    }

    @Test func goldLabelOutsideTheChoicesIsNamed() throws {
        let u = try Self.file(Array((Self.line1 + "\n" + #"{"goal":"g","sol1":"a","sol2":"b","label":2}"# + "\n").utf8))
        #expect(
            throws: DatasetError.invalidValue(file: u.path, line: 2, field: "label", reason: "must be 0 or 1, not 2")
        ) {
            try readJSONL(PIQARecord.self, from: u)
        }
    }
}
