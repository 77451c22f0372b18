import Foundation
import GGUF
import TestSupport

/// A tiny GGUF written by GGUFWriter for the writer and bad-input tests: six metadata keys (a nested
/// array among them) and three tensors. The last tensor's data is exactly 32 bytes, so the file has no
/// trailing padding and every truncation cuts real content.
enum TinyGGUF {
    static let metadata: [(key: String, value: GGUFValue)] = [
        ("general.architecture", .string("tiny")),
        ("general.alignment", .uint32(32)),
        ("tiny.block_count", .uint32(1)),
        ("tiny.names", .array(.string, [.string("a"), .string("bc")])),
        ("tiny.nested", .array(.array, [.array(.int32, [.int32(1), .int32(2)]), .array(.int32, [.int32(3)])])),
        ("tiny.scale", .float32(0.5)),
        ("tiny.flag", .bool(true)),
    ]

    /// Deterministic "random" weights (a fixed LCG, so the file is the same every run).
    static func weights(_ n: Int, seed: UInt64) -> [Float] {
        var s = seed
        return (0..<n).map { _ in
            s = s &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(s >> 40) - (1 << 23)) / Float(1 << 23)
        }
    }

    static func writer() throws -> GGUFWriter {
        GGUFWriter(
            metadata: metadata,
            tensors: [
                .init(
                    name: "wa", dims: [32, 2], type: .q8_0,
                    data: try GGUFWriter.quantize(weights(64, seed: 1), to: .q8_0)),
                .init(name: "wb", dims: [4], type: .f32, data: try GGUFWriter.quantize(weights(4, seed: 2), to: .f32)),
                .init(
                    name: "wc", dims: [8, 2], type: .f16, data: try GGUFWriter.quantize(weights(16, seed: 3), to: .f16)),
            ])
    }

    static func bytes() throws -> [UInt8] { try writer().bytes() }

    /// Writes `bytes` to a fresh temporary file and returns its path.
    static func write(_ bytes: [UInt8], name: String = "tiny.gguf") throws -> String {
        let url = try TestPaths.tempDir("gguf").appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    static func remove(_ path: String) {
        try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent)
    }

    /// Byte offset just past the gguf_string_t holding `s` (u64 length + bytes), the first occurrence.
    static func after(_ s: String, in bytes: [UInt8]) -> Int {
        var needle: [UInt8] = []
        withUnsafeBytes(of: UInt64(s.utf8.count).littleEndian) { needle.append(contentsOf: $0) }
        needle.append(contentsOf: s.utf8)
        for i in 0...(bytes.count - needle.count) where Array(bytes[i..<(i + needle.count)]) == needle {
            return i + needle.count
        }
        fatalError("'\(s)' is not in the tiny file")
    }

    static func put<T: FixedWidthInteger>(_ v: T, at offset: Int, in bytes: inout [UInt8]) {
        withUnsafeBytes(of: v.littleEndian) { for (i, b) in $0.enumerated() { bytes[offset + i] = b } }
    }
}
