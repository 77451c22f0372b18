import Foundation
import GGUF
import Testing
import TestSupport

@Suite struct WriterTests {
    @Test func tinyFileReadsBackWithSameContent() throws {
        let path = try TinyGGUF.write(try TinyGGUF.bytes())
        defer { TinyGGUF.remove(path) }
        let f = try GGUFFile(path: path)
        #expect(f.version == 3)
        #expect(f.alignment == 32)
        #expect(f.dataOffset % 32 == 0)
        #expect(f.metadataOrder.map(\.key) == TinyGGUF.metadata.map(\.key))
        #expect(f.metadataOrder.map(\.value) == TinyGGUF.metadata.map(\.value))
        #expect(f.tensors.map(\.name) == ["wa", "wb", "wc"])
        #expect(f.tensors.map(\.offset) == [0, 96, 128])  // 68 bytes padded to 96, 16 padded to 32
        #expect(try f.dequantize("wb") == TinyGGUF.weights(4, seed: 2))
        #expect(try f.strings("tiny.names") == ["a", "bc"])
    }

    @Test func tinyFileRoundTripsByteForByte() throws {
        let original = try TinyGGUF.bytes()
        let path = try TinyGGUF.write(original)
        defer { TinyGGUF.remove(path) }
        let copy = try GGUFWriter(copying: GGUFFile(path: path)).bytes()
        #expect(copy == original)
    }

    /// ggml's layout with a non-default alignment: header and every tensor padded to 64 bytes.
    @Test func honoursGeneralAlignment() throws {
        var w = try TinyGGUF.writer()
        w.metadata[1].value = .uint32(64)
        let path = try TinyGGUF.write(try w.bytes())
        defer { TinyGGUF.remove(path) }
        let f = try GGUFFile(path: path)
        #expect(f.alignment == 64)
        #expect(f.dataOffset % 64 == 0)
        #expect(f.tensors.map(\.offset) == [0, 128, 192])
        #expect(try GGUFWriter(copying: f).bytes() == Array(try Data(contentsOf: URL(fileURLWithPath: path))))
    }

    @Test(.needsGemma) func gemmaRoundTripsByteForByte() throws {
        let f = try GGUFFile(path: TestPaths.gemma)
        let dir = try TestPaths.tempDir("gguf-gemma")
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("copy.gguf").path
        try GGUFWriter(copying: f).write(to: out)
        let copy = try MappedFile(path: out)
        #expect(copy.size == f.file.size)
        #expect(memcmp(copy.bytes.baseAddress!, f.file.bytes.baseAddress!, min(copy.size, f.file.size)) == 0)
    }

    @Test func q8_0RoundTripWithinHalfAStep() throws {
        let x = TinyGGUF.weights(4096, seed: 7).map { $0 * 3 }
        let q = try GGUFWriter.quantize(x, to: .q8_0)
        #expect(q.count == 4096 / 32 * 34)
        let y = try dequantized(q, .q8_0, x.count)
        // Each block's step is d = max|x| / 127 (rounded to f16); the error is at most d/2 plus f16 rounding of d.
        for b in 0..<(x.count / 32) {
            let block = x[(32 * b)..<(32 * b + 32)]
            let d = block.map(abs).max()! / 127
            for j in block.indices { #expect(abs(y[j] - x[j]) <= d * 0.5 + d * 127 * 0x1p-11, "element \(j)") }
        }
        // ggml stores round(x / d) exactly: a block with max 127 gives back its integers.
        let ints = (0..<32).map { Float($0 - 16) * 127 / 16 }.map { $0.rounded() }
        #expect(try dequantized(try GGUFWriter.quantize(ints, to: .q8_0), .q8_0, 32) == ints)
    }

    @Test func f16AndBF16RoundTrips() throws {
        let x = TinyGGUF.weights(1024, seed: 9).map { $0 * 100 }
        let h = try dequantized(try GGUFWriter.quantize(x, to: .f16), .f16, x.count)
        let b = try dequantized(try GGUFWriter.quantize(x, to: .bf16), .bf16, x.count)
        for i in x.indices {
            #expect(abs(h[i] - x[i]) <= abs(x[i]) * 0x1p-11 + 0x1p-25, "f16 \(x[i]) → \(h[i])")
            #expect(abs(b[i] - x[i]) <= abs(x[i]) * 0x1p-8, "bf16 \(x[i]) → \(b[i])")
        }
        // Values a half represents exactly come back exactly, including subnormals and ±65504.
        let exact: [Float] = [0, -0.0, 1, -2.5, 65504, -65504, 0x1p-24, 0x1p-14, 1.0009765625]
        let back = try dequantized(try GGUFWriter.quantize(exact, to: .f16), .f16, exact.count)
        #expect(back.map(\.bitPattern) == exact.map(\.bitPattern))
        // Ties go to even; beyond the largest half is infinity.
        #expect(HalfFloat.toFloat(HalfFloat.fromFloat(1 + 0x1p-11)) == 1)
        #expect(HalfFloat.toFloat(HalfFloat.fromFloat(1 + 3 * 0x1p-11)) == 1 + 0x1p-9)
        #expect(HalfFloat.toFloat(HalfFloat.fromFloat(65520)) == .infinity)
        #expect(HalfFloat.toFloat(HalfFloat.fromFloat(65519)) == 65504)
    }

    @Test func refusesWhatCouldNotBeReadBack() throws {
        var w = try TinyGGUF.writer()
        w.metadata.append(("tiny.mixed", .array(.int32, [.int32(1), .string("x")])))
        #expect(
            throws: GGUFError.writeFailed(
                path: "<memory>", reason: "metadata key 'tiny.mixed' holds an array of int32 with a string item")
        ) {
            try w.bytes()
        }
        w = try TinyGGUF.writer()
        w.metadata.append(("tiny.scale", .float32(1)))
        #expect(throws: GGUFError.duplicate(path: "<memory>", what: "metadata key", name: "tiny.scale")) {
            try w.bytes()
        }
        w = try TinyGGUF.writer()
        w.tensors[1].dims = [4, 1, 1, 1, 1]
        #expect(
            throws: GGUFError.badDimensions(
                path: "<memory>", tensor: "wb", reason: "dims [4, 1, 1, 1, 1] (1 to 4 dimensions, each at least 1)")
        ) {
            try w.bytes()
        }
        w = try TinyGGUF.writer()
        w.tensors[1].data.removeLast()
        #expect(
            throws: GGUFError.writeFailed(path: "<memory>", reason: "tensor 'wb' has 15 bytes of data, expected 16")
        ) { try w.bytes() }
    }

    @Test func unsupportedQuantizationThrows() {
        #expect(throws: GGUFError.quantizationUnsupported(type: "Q4_K")) {
            try GGUFWriter.quantize([Float](repeating: 0, count: 256), to: .q4_K)
        }
        #expect(throws: GGUFError.badValueCount(what: "quantizing to Q8_0", count: 31, blockSize: 32)) {
            try GGUFWriter.quantize([Float](repeating: 0, count: 31), to: .q8_0)
        }
    }

    func dequantized(_ bytes: [UInt8], _ type: GGMLType, _ n: Int) throws -> [Float] {
        var out = [Float](repeating: .nan, count: n)
        try bytes.withUnsafeBytes { s in
            try out.withUnsafeMutableBufferPointer {
                try GGUFDequant.dequantize(type: type, src: s.baseAddress!, count: n, dst: $0.baseAddress!)
            }
        }
        return out
    }
}

/// GGUFWriter.quantize must give the same bytes as gguf.quants.quantize (ggml's reference rounding).
@Suite struct QuantizeReferenceTests {
    @Test func bytesMatchGGUFPythonPackage() throws {
        let url = TestPaths.fixtures.appendingPathComponent("dequant_synthetic.json")
        let root = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        let q = root["quantize"] as! [String: Any]
        let raw = DequantFixture.hexBytes(q["input"] as! String)
        let x = raw.withUnsafeBytes { b in
            (0..<(raw.count / 4)).map { Float(bitPattern: b.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self)) }
        }
        #expect(x.count == 512)
        for out in q["outputs"] as! [[String: Any]] {
            let type = try #require(GGMLType.allCases.first { $0.name == out["type"] as! String })
            let expected = DequantFixture.hexBytes(out["hex"] as! String)
            let got = try GGUFWriter.quantize(x, to: type)
            let bad = zip(got, expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset
            #expect(got.count == expected.count && bad == nil, "\(type.name): first differing byte \(bad ?? -1)")
        }
    }
}
