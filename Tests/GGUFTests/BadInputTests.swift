import Foundation
import GGUF
import Testing
import TestSupport

/// Corrupt files must fail with a specific GGUFError that names the file, never crash, hang or
/// allocate wildly. Each case mutates the tiny file written by GGUFWriter (TinyGGUF).
@Suite struct BadInputTests {
    /// A named mutation and the error it must produce (given the mutated file's path).
    struct Case: CustomStringConvertible {
        let description: String
        let mutate: (inout [UInt8]) throws -> Void
        let expected: (String) -> GGUFError
    }

    static let big: UInt64 = 1 << 40

    static var cases: [Case] {
        let tiny = try! TinyGGUF.bytes()
        let after = { (s: String) in TinyGGUF.after(s, in: tiny) }
        // Tensor info layout after the name: u32 n_dims, u64 dims[n], u32 type, u64 offset.
        let wa = after("wa"), wb = after("wb")
        // The data section starts after wc's info (2 dims), padded to 32.
        let dataOffset = (after("wc") + 4 + 2 * 8 + 4 + 8 + 31) / 32 * 32
        return [
            Case(
                description: "bad magic", mutate: { $0[0] = UInt8(ascii: "X") },
                expected: { .notGGUF(path: $0, magic: "\"XGUF\"") }),
            Case(
                description: "version 1", mutate: { TinyGGUF.put(UInt32(1), at: 4, in: &$0) },
                expected: { .unsupportedVersion(path: $0, version: 1) }),
            Case(
                description: "version 4", mutate: { TinyGGUF.put(UInt32(4), at: 4, in: &$0) },
                expected: { .unsupportedVersion(path: $0, version: 4) }),
            Case(
                description: "truncated header", mutate: { $0 = Array($0[0..<12]) },
                expected: { .truncated(path: $0, field: "tensor count", offset: 8, needed: 8, fileSize: 12) }),
            Case(
                description: "absurd tensor count", mutate: { TinyGGUF.put(big, at: 8, in: &$0) },
                expected: { .absurdCount(path: $0, field: "tensor count", count: big, offset: 8) }),
            Case(
                description: "absurd key/value count", mutate: { TinyGGUF.put(big, at: 16, in: &$0) },
                expected: { .absurdCount(path: $0, field: "metadata key/value count", count: big, offset: 16) }),
            Case(
                description: "string longer than the file", mutate: { TinyGGUF.put(big, at: 24, in: &$0) },
                expected: {
                    .truncated(path: $0, field: "metadata key #0", offset: 32, needed: Int(big), fileSize: tiny.count)
                }),
            Case(
                description: "unknown value type",
                mutate: { TinyGGUF.put(UInt32(99), at: after("tiny.scale"), in: &$0) },
                expected: { .unknownValueType(path: $0, key: "tiny.scale", type: 99, offset: after("tiny.scale")) }),
            Case(
                description: "unknown array element type",
                mutate: { TinyGGUF.put(UInt32(77), at: after("tiny.names") + 4, in: &$0) },
                expected: { .unknownValueType(path: $0, key: "tiny.names", type: 77, offset: after("tiny.names") + 4) }),
            Case(
                description: "bool that is neither 0 nor 1", mutate: { $0[after("tiny.flag") + 4] = 2 },
                expected: { .wrongKeyType(path: $0, key: "tiny.flag", expected: "bool 0 or 1", found: "2") }),
            Case(
                description: "unknown tensor type", mutate: { TinyGGUF.put(UInt32(99), at: wb + 4 + 8, in: &$0) },
                expected: { .unknownTensorType(path: $0, tensor: "wb", type: 99) }),
            Case(
                description: "zero dimensions", mutate: { TinyGGUF.put(UInt32(0), at: wb, in: &$0) },
                expected: { .badDimensions(path: $0, tensor: "wb", reason: "0 dimensions (1 to 4 allowed)") }),
            Case(
                description: "five dimensions", mutate: { TinyGGUF.put(UInt32(5), at: wb, in: &$0) },
                expected: { .badDimensions(path: $0, tensor: "wb", reason: "5 dimensions (1 to 4 allowed)") }),
            Case(
                description: "a zero dimension", mutate: { TinyGGUF.put(UInt64(0), at: wa + 4 + 8, in: &$0) },
                expected: { .badDimensions(path: $0, tensor: "wa", reason: "dimension 1 is 0") }),
            Case(
                description: "dimension product overflow",
                mutate: {
                    TinyGGUF.put(UInt64(Int32.max) / 32 * 32, at: wa + 4, in: &$0)
                    TinyGGUF.put(UInt64(Int32.max), at: wa + 4 + 8, in: &$0)
                },
                expected: { .badDimensions(path: $0, tensor: "wa", reason: "the element count overflows") }),
            Case(
                description: "row length not a multiple of the block size",
                mutate: { TinyGGUF.put(UInt64(33), at: wa + 4, in: &$0) },
                expected: {
                    .badDimensions(
                        path: $0, tensor: "wa", reason: "row length 33 is not a multiple of the Q8_0 block size 32")
                }),
            Case(
                description: "offset outside the file",
                mutate: { TinyGGUF.put(UInt64(1 << 20), at: wb + 4 + 8 + 4, in: &$0) },
                expected: {
                    .tensorOutOfFile(
                        path: $0, tensor: "wb", start: dataOffset + (1 << 20),
                        end: dataOffset + (1 << 20) + 16, fileSize: tiny.count)
                }),
            Case(
                description: "offset near 2^64", mutate: { TinyGGUF.put(UInt64.max - 31, at: wb + 4 + 8 + 4, in: &$0) },
                expected: {
                    .tensorOutOfFile(path: $0, tensor: "wb", start: Int.max, end: Int.max, fileSize: tiny.count)
                }),
            Case(
                description: "misaligned offset", mutate: { TinyGGUF.put(UInt64(97), at: wb + 4 + 8 + 4, in: &$0) },
                expected: { .misaligned(path: $0, tensor: "wb", offset: 97, alignment: 32) }),
            Case(
                description: "alignment 3",
                mutate: { TinyGGUF.put(UInt32(3), at: after("general.alignment") + 4, in: &$0) },
                expected: { .badAlignment(path: $0, value: 3) }),
            Case(
                description: "alignment 0",
                mutate: { TinyGGUF.put(UInt32(0), at: after("general.alignment") + 4, in: &$0) },
                expected: { .badAlignment(path: $0, value: 0) }),
            Case(
                description: "duplicate tensor name", mutate: { $0[wb - 1] = UInt8(ascii: "a") },
                expected: { .duplicate(path: $0, what: "tensor name", name: "wa") }),
            Case(
                description: "duplicate key",
                mutate: { b in
                    let at = after("tiny.scale") - 5
                    for (i, c) in "names".utf8.enumerated() { b[at + i] = c }
                },
                expected: { .duplicate(path: $0, what: "metadata key", name: "tiny.names") }),
            Case(
                description: "invalid UTF-8", mutate: { $0[after("general.architecture") + 4 + 8] = 0xFF },
                expected: {
                    .invalidUTF8(
                        path: $0, field: "value of 'general.architecture'", offset: after("general.architecture") + 4)
                }),
            Case(
                description: "huge array count", mutate: { TinyGGUF.put(big, at: after("tiny.names") + 8, in: &$0) },
                expected: {
                    .absurdCount(
                        path: $0, field: "element count of 'tiny.names'", count: big, offset: after("tiny.names") + 8)
                }),
        ]
    }

    @Test(arguments: cases)
    func mutationFailsWithSpecificError(_ c: Case) throws {
        var bytes = try TinyGGUF.bytes()
        try c.mutate(&bytes)
        let path = try TinyGGUF.write(bytes)
        defer { TinyGGUF.remove(path) }
        let expected = c.expected(path)
        #expect(throws: expected, "\(c)") { try GGUFFile(path: path) }
        #expect(expected.description.contains(path))
    }

    /// Arrays nested deeper than GGUFFile.maxArrayDepth (8) are refused before they can recurse far.
    @Test func nestedArrayDepthBomb() throws {
        var v = GGUFValue.array(.int32, [.int32(1)])
        for _ in 0..<20 { v = .array(.array, [v]) }
        var w = try TinyGGUF.writer()
        w.metadata.append(("tiny.bomb", v))
        let bytes = try w.bytes()
        let path = try TinyGGUF.write(bytes)
        defer { TinyGGUF.remove(path) }
        // Depth 8 is reached at the 9th array header: key, type (4), then 8 × (element type 4 + count 8).
        let at = TinyGGUF.after("tiny.bomb", in: bytes) + 4 + 8 * 12
        let expected = GGUFError.absurdCount(
            path: path, field: "array nesting depth of 'tiny.bomb'", count: 9, offset: at)
        #expect(throws: expected) { try GGUFFile(path: path) }
    }

    @Test func emptyFile() throws {
        let path = try TinyGGUF.write([])
        defer { TinyGGUF.remove(path) }
        #expect(throws: GGUFError.truncated(path: path, field: "magic", offset: 0, needed: 4, fileSize: 0)) {
            try GGUFFile(path: path)
        }
    }

    @Test func directory() throws {
        let dir = try TestPaths.tempDir("gguf-dir")
        defer { try? FileManager.default.removeItem(at: dir) }
        let expected = GGUFError.cannotOpen(path: dir.path, reason: "it is a directory, not a regular file")
        #expect(throws: expected) { try GGUFFile(path: dir.path) }
        #expect(expected.description.contains(dir.path))
    }

    @Test func missingFile() {
        let path = "/nonexistent/lisa/model.gguf"
        #expect(throws: GGUFError.cannotOpen(path: path, reason: "No such file or directory")) {
            try GGUFFile(path: path)
        }
    }

    /// Every proper prefix of a valid file is an error (the last tensor ends exactly at end of file).
    @Test func everyTruncationThrows() throws {
        let bytes = try TinyGGUF.bytes()
        let dir = try TestPaths.tempDir("gguf-trunc")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("t.gguf").path
        var survivors: [Int] = []
        for n in 0..<bytes.count {
            _ = FileManager.default.createFile(atPath: path, contents: Data(bytes[0..<n]))
            do { _ = try GGUFFile(path: path); survivors.append(n) } catch let e as GGUFError {
                if !e.description.contains(path) { survivors.append(n) }
            }
        }
        #expect(survivors.isEmpty, "prefixes read without a file-naming error: \(survivors)")
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        #expect(try GGUFFile(path: path).tensors.count == 3)
    }
}
