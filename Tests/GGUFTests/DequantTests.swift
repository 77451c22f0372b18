import Foundation
import GGUF
import Testing
import TestSupport

/// Dequantization must match the gguf Python package (an independent implementation of ggml's
/// reference) bit for bit on the first 256 values of every tensor, and in sum / sum of squares overall.
@Suite struct DequantTests {
    func check(_ f: GGUFFile, _ fixtures: [DequantFixture]) throws {
        for fx in fixtures {
            let info = try #require(f.tensor(fx.name), "\(fx.name) missing from \(f.path)")
            #expect(info.type.name == fx.type)
            #expect(info.elementCount == fx.count)
            let values = try f.dequantize(info)
            try #require(
                values.count == fx.count && fx.first.count == min(fx.count, 256),
                "\(fx.name): \(values.count) values, \(fx.first.count) in the fixture, \(fx.count) expected")
            values.withUnsafeBufferPointer { v in
                let bad = fx.firstMismatch(v)
                #expect(
                    bad == nil,
                    Comment(
                        rawValue: "\(fx.name) (\(fx.type)) value \(bad ?? -1): \(bad.map { v[$0] } ?? 0) vs "
                            + "\(bad.map { fx.first[$0] } ?? 0)")
                )
                let (s, q) = DequantFixture.sums(v)
                #expect(fx.sumsMatch(s, q), "\(fx.name): sum \(s) vs \(fx.sum), sumsq \(q) vs \(fx.sumsq)")
            }
        }
    }

    @Test(.needsGemma) func gemmaEveryTensorMatchesReference() throws {
        let f = try GGUFFile(path: TestPaths.gemma)
        let fixtures = try DequantFixture.load("dequant_gemma3.json")
        #expect(fixtures.count == f.tensors.count)
        try check(f, fixtures)
    }

    @Test(.needsQwen) func qwenOneTensorPerTypeMatchesReference() throws {
        let f = try GGUFFile(path: TestPaths.qwen)
        let fixtures = try DequantFixture.load("dequant_qwen2.json")
        #expect(Set(fixtures.map(\.type)) == Set(f.tensors.map(\.type.name)))
        try check(f, fixtures)
    }

    /// Seeded random blocks of every supported type, including the ones no model file here uses.
    @Test func syntheticBlocksOfEveryTypeMatchReference() throws {
        let fixtures = try DequantFixture.load("dequant_synthetic.json")
        #expect(Set(fixtures.map(\.type)) == Set(GGUFDequant.supported.filter { $0 != .f32 }.map(\.name)))
        for fx in fixtures {
            let type = try #require(GGMLType.allCases.first { $0.name == fx.type })
            #expect(fx.bytes.count == fx.count / type.blockSize * type.blockBytes)
            try #require(fx.first.count == fx.count, "\(fx.type): the fixture holds \(fx.first.count) of \(fx.count)")
            var out = [Float](repeating: .nan, count: fx.count)
            try fx.bytes.withUnsafeBytes { src in
                try out.withUnsafeMutableBufferPointer { dst in
                    try GGUFDequant.dequantize(
                        type: type, src: src.baseAddress!, count: fx.count, dst: dst.baseAddress!)
                }
            }
            out.withUnsafeBufferPointer { v in
                let bad = fx.firstMismatch(v)
                #expect(
                    bad == nil,
                    "\(fx.type) value \(bad ?? -1): \(bad.map { v[$0] } ?? 0) vs \(bad.map { fx.first[$0] } ?? 0)")
            }
        }
    }

    @Test(.needsGemma) func rowsMatchWholeTensor() throws {
        let f = try GGUFFile(path: TestPaths.gemma)
        for type in [GGMLType.q4_K, .q6_K, .q8_0, .q5_0, .f32] {
            let info = try #require(f.tensors.first { $0.type == type })
            let whole = try f.dequantize(info)
            let n = info.dims[0], rows = info.elementCount / n
            var row = [Float](repeating: 0, count: n)
            for r in Set([0, min(1, rows - 1), rows / 2, rows - 1]) {
                try row.withUnsafeMutableBufferPointer { try f.dequantizeRow(info, row: r, into: $0.baseAddress!) }
                #expect(row == Array(whole[(r * n)..<((r + 1) * n)]), "\(info.name) row \(r)")
            }
            #expect(throws: GGUFError.rowOutOfRange(path: f.path, tensor: info.name, row: rows, rows: rows)) {
                try row.withUnsafeMutableBufferPointer { try f.dequantizeRow(info, row: rows, into: $0.baseAddress!) }
            }
        }
    }

    @Test func unsupportedTypeThrows() throws {
        var out = [Float](repeating: 0, count: 256)
        let src = [UInt8](repeating: 0, count: 512)
        #expect(throws: GGUFError.unsupportedDequantization(tensor: "x", type: "IQ2_XXS")) {
            try src.withUnsafeBytes { s in
                try out.withUnsafeMutableBufferPointer {
                    try GGUFDequant.dequantize(
                        type: .iq2_xxs, src: s.baseAddress!, count: 256, dst: $0.baseAddress!, name: "x")
                }
            }
        }
    }

    /// Whole Gemma file; prints the time (the release build should take about a second or two).
    @Test(.needsGemma) func wholeGemmaDequantizesQuickly() throws {
        let f = try GGUFFile(path: TestPaths.gemma)
        let start = Date()
        var total = 0
        for t in f.tensors { total += try f.dequantize(t).count }
        let s = Date().timeIntervalSince(start)
        print("dequantized \(f.tensors.count) Gemma tensors (\(total) values) in \(String(format: "%.2f", s)) s")
        #expect(total == f.tensors.reduce(0) { $0 + $1.elementCount })
    }
}
