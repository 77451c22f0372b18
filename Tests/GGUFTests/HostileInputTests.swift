#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import GGUF
import Testing
import TestSupport

/// Issue 15: inputs that crashed, hung or were misreported before (a FIFO, an array as long as the file,
/// wrong-typed values, overlapping tensors).
@Suite struct HostileInputTests {
    /// open() on a FIFO blocked forever waiting for a writer; now the file type is checked without blocking.
    @Test(.timeLimit(.minutes(1))) func fifoIsRefusedWithoutBlocking() throws {
        let dir = try TestPaths.tempDir("gguf-fifo")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("model.gguf").path
        #expect(mkfifo(path, 0o600) == 0)
        let expected = GGUFError.cannotOpen(path: path, reason: "it is a FIFO (named pipe), not a regular file")
        #expect(throws: expected) { try GGUFFile(path: path) }
        #expect(expected.description == "\(path): cannot open the file: it is a FIFO (named pipe), not a regular file.")
    }

    /// A u8 array whose count is every byte left in the file took ~42 bytes of RAM per file byte (one boxed
    /// value each); now it is one [UInt8] and the tensors after it still parse.
    @Test func arrayAsLongAsTheFileIsStoredCompactly() throws {
        var w = try TinyGGUF.writer()
        let n = 1 << 20
        w.metadata.append(("tiny.blob", .array(.uint8, Array(repeating: .uint8(7), count: n))))
        let path = try TinyGGUF.write(try w.bytes())
        defer { TinyGGUF.remove(path) }
        let f = try GGUFFile(path: path)
        guard case let .array(.uint8(bytes))? = f.metadata["tiny.blob"] else {
            Issue.record("tiny.blob is \(String(describing: f.metadata["tiny.blob"]?.typeDescription)), not a [UInt8]")
            return
        }
        #expect(bytes.count == n && bytes.allSatisfy { $0 == 7 })
        #expect(f.tensors.count == 3)
        #expect(f.metadata["tiny.blob"]?.typeDescription == "array of 1048576 uint8")
    }

    /// The element count is checked against the bytes left before anything is reserved: one more u8 item than
    /// the bytes after the count.
    @Test func arrayCountOneBeyondTheFileIsRefused() throws {
        var w = try TinyGGUF.writer()
        w.metadata.append(("tiny.blob", .array(.uint8, [.uint8(1), .uint8(2)])))
        var bytes = try w.bytes()
        let countAt = TinyGGUF.after("tiny.blob", in: bytes) + 4 + 4
        let rest = UInt64(bytes.count - countAt - 8)
        TinyGGUF.put(rest + 1, at: countAt, in: &bytes)
        let path = try TinyGGUF.write(bytes)
        defer { TinyGGUF.remove(path) }
        #expect(
            throws: GGUFError.absurdCount(
                path: path, field: "element count of 'tiny.blob'", count: rest + 1, offset: countAt)
        ) {
            try GGUFFile(path: path)
        }
    }

    /// Strings need at least their 8-byte length each, nested arrays 12 bytes (type and count).
    @Test func stringAndNestedArrayCountsUseTheirMinimumSize() throws {
        var bytes = try TinyGGUF.bytes()
        let at = TinyGGUF.after("tiny.nested", in: bytes) + 4 + 4
        let tooMany = UInt64((bytes.count - at - 8) / 12 + 1)
        TinyGGUF.put(tooMany, at: at, in: &bytes)
        let path = try TinyGGUF.write(bytes)
        defer { TinyGGUF.remove(path) }
        #expect(
            throws: GGUFError.absurdCount(
                path: path, field: "element count of 'tiny.nested'", count: tooMany, offset: at)
        ) {
            try GGUFFile(path: path)
        }
    }

    @Test func typedArraysRoundTripByteForByte() throws {
        var w = try TinyGGUF.writer()
        w.metadata.append(("tiny.f", .array(.float32, [.float32(1.5), .float32(-2)])))
        w.metadata.append(("tiny.u64", .array(.uint64, [.uint64(UInt64.max)])))
        w.metadata.append(("tiny.b", .array(.bool, [.bool(true), .bool(false)])))
        let bytes = try w.bytes()
        let path = try TinyGGUF.write(bytes)
        defer { TinyGGUF.remove(path) }
        let f = try GGUFFile(path: path)
        #expect(try GGUFWriter(copying: f).bytes() == bytes)
        #expect(try f.floats("tiny.f") == [1.5, -2])
        #expect(
            f.metadata["tiny.nested"]
                == .array(.array, [.array(.int32, [.int32(1), .int32(2)]), .array(.int32, [.int32(3)])]))
        #expect(
            throws: GGUFError.wrongKeyType(
                path: path, key: "tiny.u64", expected: "an array of integers", found: "an array of 1 uint64")
        ) {
            try f.ints("tiny.u64")
        }
    }

    /// "general.alignment is a string, not an unsigned integer" — it used to read as alignment 0.
    @Test func wrongTypedAlignmentIsNamedAsSuch() throws {
        let path = try TinyGGUF.write(try Self.bytesWithStringAlignment())
        defer { TinyGGUF.remove(path) }
        let expected = GGUFError.wrongKeyType(
            path: path, key: "general.alignment", expected: "an unsigned integer", found: "a string")
        #expect(throws: expected) { try GGUFFile(path: path) }
        #expect(
            expected.description == "\(path): metadata key 'general.alignment' is a string, not an unsigned integer.")
    }

    /// The tiny file with general.alignment stored as the string "32".
    static func bytesWithStringAlignment() throws -> [UInt8] {
        var w = try TinyGGUF.writer()
        w.set("general.alignment", nil)
        w.metadata.insert(("general.alignment", .string("32")), at: 1)
        // GGUFWriter.alignment reads an integer only, so a string falls back to ggml's default 32.
        return try w.bytes()
    }

    @Test func wrongTypedValuesAreNamed() throws {
        let path = try TinyGGUF.write(try TinyGGUF.bytes())
        defer { TinyGGUF.remove(path) }
        let f = try GGUFFile(path: path)
        #expect(
            throws: GGUFError.wrongKeyType(
                path: path, key: "general.architecture", expected: "an integer", found: "a string")
        ) {
            try f.int("general.architecture")
        }
        #expect(
            throws: GGUFError.wrongKeyType(
                path: path, key: "tiny.scale", expected: "a string", found: "a floating-point number")
        ) {
            try f.string("tiny.scale")
        }
        #expect(
            throws: GGUFError.wrongKeyType(
                path: path, key: "tiny.block_count", expected: "a bool", found: "an unsigned integer")
        ) {
            try f.bool("tiny.block_count")
        }
        #expect(try f.optional("tiny.absent", f.int) == nil)
        #expect(throws: GGUFError.self) { try f.optional("tiny.flag", f.int) }
    }

    @Test func integerTooLargeForIntIsNamed() throws {
        var w = try TinyGGUF.writer()
        w.metadata.append(("tiny.huge", .uint64(UInt64.max)))
        let path = try TinyGGUF.write(try w.bytes())
        defer { TinyGGUF.remove(path) }
        let f = try GGUFFile(path: path)
        #expect(
            throws: GGUFError.badValue(
                path: path, key: "tiny.huge", reason: "is 18446744073709551615, too large for an integer")
        ) {
            try f.int("tiny.huge")
        }
    }

    /// Two tensors whose data ranges overlap (wc's offset moved onto wa's data).
    @Test func overlappingTensorDataIsRefused() throws {
        var bytes = try TinyGGUF.bytes()
        let wc = TinyGGUF.after("wc", in: bytes)
        TinyGGUF.put(UInt64(32), at: wc + 4 + 2 * 8 + 4, in: &bytes)  // wa holds 68 bytes from offset 0
        let path = try TinyGGUF.write(bytes)
        defer { TinyGGUF.remove(path) }
        let expected = GGUFError.overlappingTensors(path: path, first: "wa", second: "wc")
        #expect(throws: expected) { try GGUFFile(path: path) }
        #expect(expected.description == "\(path): the data of tensors 'wa' and 'wc' overlap.")
    }

    @Test func alignmentAboveIntMaxIsShownAsStored() throws {
        var w = try TinyGGUF.writer()
        w.set("general.alignment", .uint64(UInt64.max))
        // The writer lays the file out with its own default alignment when the value is not an Int.
        let path = try TinyGGUF.write(try w.bytes())
        defer { TinyGGUF.remove(path) }
        #expect(throws: GGUFError.badAlignment(path: path, value: UInt64.max)) { try GGUFFile(path: path) }
    }
}
