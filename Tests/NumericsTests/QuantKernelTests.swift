import Basics
import CKernels
import Foundation
import GGUF
import Numerics
import Testing

/// Random weight blocks of every supported type (random quant bytes; the f16 scale fields patched to finite
/// values), including edge blocks with every quant byte 0x00 or 0xFF.
struct RandomBlocks {
    static let types: [GGMLType] = [
        .f32, .f16, .bf16, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K,
    ]

    /// Byte offsets of the f16 scale fields in one block.
    static func halfFields(_ t: GGMLType) -> [Int] {
        switch t {
        case .q4_0, .q5_0, .q8_0: return [0]
        case .q4_1, .q5_1, .q4_K, .q5_K: return [0, 2]
        case .q2_K: return [80, 82]
        case .q3_K: return [108]
        case .q6_K: return [208]
        default: return []
        }
    }

    /// rows × cols weights of type t, row-major blocks. `edge` 1: all quant bytes 0xFF, 2: all 0x00.
    static func make(_ t: GGMLType, rows: Int, cols: Int, seed: UInt64, edge: Int = 0) -> [UInt8] {
        var rng = SeededGenerator(seed: seed)
        let blocks = rows * cols / t.blockSize
        var bytes = [UInt8](repeating: 0, count: blocks * t.blockBytes)
        for i in bytes.indices { bytes[i] = edge == 1 ? 0xFF : edge == 2 ? 0 : UInt8.random(in: 0...255, using: &rng) }
        func putHalf(_ at: Int, _ v: Float) {
            let h = HalfFloat.fromFloat(v); bytes[at] = UInt8(h & 0xFF); bytes[at + 1] = UInt8(h >> 8)
        }
        switch t {
        case .f32:
            for i in 0..<(rows * cols) {
                let v = Float.random(in: -1...1, using: &rng).bitPattern
                for j in 0..<4 { bytes[4 * i + j] = UInt8((v >> (8 * j)) & 0xFF) }
            }
        case .f16:
            for i in 0..<(rows * cols) { putHalf(2 * i, Float.random(in: -1...1, using: &rng)) }
        case .bf16:
            for i in 0..<(rows * cols) {
                let h = HalfFloat.bf16FromFloat(Float.random(in: -1...1, using: &rng))
                bytes[2 * i] = UInt8(h & 0xFF); bytes[2 * i + 1] = UInt8(h >> 8)
            }
        default:
            for b in 0..<blocks {
                for f in halfFields(t) { putHalf(b * t.blockBytes + f, Float.random(in: 0.001...0.05, using: &rng)) }
            }
        }
        return bytes
    }
}

@Suite struct QuantKernelTests {
    let rows = 37, cols = 512  // cols: two K blocks, sixteen legacy blocks

    func dequantized(_ t: GGMLType, _ w: [UInt8]) throws -> [Float] {  // the GGUF reader's exact dequantization
        try w.withUnsafeBytes { raw in
            try [Float](unsafeUninitializedCapacity: rows * cols) { buf, n in
                try GGUFDequant.dequantize(type: t, src: raw.baseAddress!, count: rows * cols, dst: buf.baseAddress!)
                n = rows * cols
            }
        }
    }

    /// y[m, rows] from lk_gemv on `path`.
    func product(_ t: GGMLType, _ w: [UInt8], _ x: [Float], m: Int, path: Int32) -> [Float] {
        let actBytes = lk_act_row_bytes(t.rawValue, Int64(cols))
        var xq = [UInt8](repeating: 0, count: actBytes * m)
        var y = [Float](repeating: .nan, count: m * rows)
        xq.withUnsafeMutableBytes { q in
            x.withUnsafeBufferPointer { xp in
                for i in 0..<m {
                    lk_quantize_act(t.rawValue, xp.baseAddress! + i * cols, q.baseAddress! + i * actBytes, Int64(cols))
                }
            }
        }
        let rc = w.withUnsafeBytes { wp in
            xq.withUnsafeBytes { q in
                y.withUnsafeMutableBufferPointer { yp in
                    lk_gemv(
                        path, t.rawValue, wp.baseAddress!, cols / t.blockSize * t.blockBytes, Int64(cols), 0,
                        Int64(rows),
                        q.baseAddress!, Int64(m), yp.baseAddress!, Int64(rows))
                }
            }
        }
        #expect(rc == 0, "lk_gemv \(t.name) on path \(path) returned \(rc)")
        return y
    }

    @Test func everyTypeHasAKernel() {
        for t in RandomBlocks.types { #expect(lk_type_supported(t.rawValue) == 1, "\(t.name)") }
        #expect(lk_type_supported(GGMLType.iq4_xs.rawValue) == 0)
        #expect(lk_path_supported(Int32(LK_PATH_SCALAR)) == 1)
    }

    /// The kernels' own unpacking reproduces the GGUF reader's dequantization (ggml-exact) for every type:
    /// equal up to one rounding (legacy types compute d·q + m where ggml computes (q − 8)·d).
    @Test(arguments: RandomBlocks.types) func unpackingMatchesTheExactDequantization(_ t: GGMLType) throws {
        for edge in 0...2 {
            let w = RandomBlocks.make(t, rows: rows, cols: cols, seed: 7 + UInt64(edge), edge: edge)
            if edge > 0, t == .f32 || t == .f16 || t == .bf16 { continue }  // 0xFF floats are NaN
            let ref = try dequantized(t, w)
            let rb = cols / t.blockSize * t.blockBytes
            var mine = [Float](repeating: .nan, count: rows * cols)
            w.withUnsafeBytes { wp in
                mine.withUnsafeMutableBufferPointer { mp in
                    for r in 0..<rows {
                        _ = lk_dequant_row(
                            t.rawValue, wp.baseAddress! + r * rb, mp.baseAddress! + r * cols, Int64(cols))
                    }
                }
            }
            #expect(mine.count == ref.count)
            let scale = ref.map { abs($0) }.max() ?? 1
            var worst: Float = 0
            for i in ref.indices { worst = max(worst, abs(mine[i] - ref[i])) }
            #expect(worst <= 1e-6 * max(scale, 1e-3), "\(t.name) edge \(edge): max |Δ| \(worst) (scale \(scale))")
        }
    }

    /// The exact path's tile dequantization (C) equals the GGUF reader's ggml-exact dequantization bit for bit,
    /// for every type, on random blocks and on blocks of all-0x00 and all-0xFF quant bytes, one row or many.
    @Test(arguments: RandomBlocks.types) func tileDequantizationIsBitExact(_ t: GGMLType) throws {
        for edge in 0...2 {
            let w = RandomBlocks.make(t, rows: rows, cols: cols, seed: 21 + UInt64(edge), edge: edge)
            let ref = try dequantized(t, w)
            let rb = cols / t.blockSize * t.blockBytes
            var all = [Float](repeating: .nan, count: rows * cols), one = all
            w.withUnsafeBytes { wp in
                all.withUnsafeMutableBufferPointer { mp in
                    #expect(
                        lk_dequant_rows(t.rawValue, wp.baseAddress!, rb, Int64(rows), Int64(cols), mp.baseAddress!) == 0
                    )
                }
                one.withUnsafeMutableBufferPointer { mp in
                    for r in 0..<rows {
                        _ = lk_dequant_rows(
                            t.rawValue, wp.baseAddress! + r * rb, rb, 1, Int64(cols), mp.baseAddress! + r * cols)
                    }
                }
            }
            try #require(all.count == ref.count && one.count == ref.count)
            let differ = ref.indices.filter {
                all[$0].bitPattern != ref[$0].bitPattern || one[$0].bitPattern != ref[$0].bitPattern
            }
            #expect(
                differ.isEmpty,
                "\(t.name) edge \(edge): \(differ.count) of \(ref.count) values differ, first at \(differ.first ?? -1)")
        }
        var out = [Float](repeating: 0, count: cols)
        #expect(
            lk_dequant_rows(t.rawValue, [UInt8](repeating: 0, count: 4 * cols), 4 * cols, 1, Int64(cols - 1), &out)
                == (t.blockSize > 1 ? -1 : 0))
    }

    /// The exact path's few-row product (each weight row dequantized exactly, Float32 dots) equals the Double
    /// product of the GGUF reader's dequantized weights with the activations to Float32 rounding (1e-5 of Σ|w·x|),
    /// for every type and 1 … 8 rows.
    @Test(arguments: RandomBlocks.types) func exactFewRowProductsMatchTheDequantizedProduct(_ t: GGMLType) throws {
        let w = RandomBlocks.make(t, rows: rows, cols: cols, seed: 31)
        let wf = try dequantized(t, w)
        var rng = SeededGenerator(seed: 9)
        let rb = cols / t.blockSize * t.blockBytes
        for m in [1, 3, 8] {
            let x = (0..<(m * cols)).map { _ in Float.random(in: -3...3, using: &rng) }
            var y = [Float](repeating: .nan, count: m * rows)
            var scratch = [Float](repeating: 0, count: cols)
            w.withUnsafeBytes { wp in
                #expect(
                    lk_dequant_gemv(
                        t.rawValue, wp.baseAddress!, rb, Int64(cols), 0, Int64(rows), x, Int64(m), &y, Int64(rows),
                        &scratch) == 0)
            }
            for i in 0..<m {
                for r in 0..<rows {
                    var exact = 0.0, mag = 0.0
                    for j in 0..<cols {
                        let p = Double(wf[r * cols + j]) * Double(x[i * cols + j]); exact += p; mag += abs(p)
                    }
                    #expect(abs(Double(y[i * rows + r]) - exact) <= 1e-5 * max(mag, 1e-6), "\(t.name) m \(m) row \(r)")
                }
            }
        }
    }

    /// Each product equals the exact Float product Σ w·x within the 8-bit activation rounding bound:
    /// |err| ≤ Σ_j |w_j| · d_a / 2 with d_a ≤ max|x| / 127 (plus Float accumulation slack).
    @Test(arguments: RandomBlocks.types) func productsAreWithinTheActivationRoundingBound(_ t: GGMLType) throws {
        let m = 3
        let w = RandomBlocks.make(t, rows: rows, cols: cols, seed: 11)
        let wf = try dequantized(t, w)
        var rng = SeededGenerator(seed: 5)
        var x = (0..<(m * cols)).map { _ in Float.random(in: -3...3, using: &rng) }
        x[17] = 40; x[cols + 3] = -25  // outliers, as in Gemma's activations
        let y = product(t, w, x, m: m, path: lk_best_path())
        #expect(y.count == m * rows)
        var checked = 0
        for i in 0..<m {
            let amax = (0..<cols).map { abs(x[i * cols + $0]) }.max()!
            for r in 0..<rows {
                var exact = 0.0, absW = 0.0, absWX = 0.0
                for j in 0..<cols {
                    let a = Double(wf[r * cols + j]), b = Double(x[i * cols + j])
                    exact += a * b; absW += abs(a); absWX += abs(a * b)
                }
                let isFloat = t == .f32 || t == .f16 || t == .bf16
                let bound = (isFloat ? 0 : absW * Double(amax) / 127 / 2) + 1e-5 * absWX + 1e-6
                #expect(
                    abs(Double(y[i * rows + r]) - exact) <= bound,
                    "\(t.name) row \(r) act \(i): \(y[i * rows + r]) vs \(exact)")
                checked += 1
            }
        }
        #expect(checked == m * rows)
    }

    /// Every dispatch path this CPU supports gives the scalar path's result (the integer sums are equal; only
    /// the Float rounding of the per-block terms differs, so the tolerance is 1e-5 of Σ|w·x|), on random and edge
    /// blocks, for 1 and 5 activation rows.
    @Test(arguments: RandomBlocks.types) func everySupportedPathMatchesTheScalarPath(_ t: GGMLType) throws {
        let paths = (1..<Int32(LK_PATH_COUNT)).filter { lk_path_supported($0) != 0 }
        var compared = 0
        for edge in 0...2 {
            if edge > 0, t == .f32 || t == .f16 || t == .bf16 { continue }
            let w = RandomBlocks.make(t, rows: rows, cols: cols, seed: 21 + UInt64(edge), edge: edge)
            for m in [1, 5] {
                var rng = SeededGenerator(seed: UInt64(m))
                let x = (0..<(m * cols)).map { _ in Float.random(in: -2...2, using: &rng) }
                let ref = product(t, w, x, m: m, path: Int32(LK_PATH_SCALAR))
                let wf = try dequantized(t, w)
                let absWX = (0..<(m * rows)).map { o -> Float in
                    let i = o / rows, r = o % rows
                    return (0..<cols).reduce(0) { $0 + abs(wf[r * cols + $1] * x[i * cols + $1]) }
                }
                for p in paths {
                    let y = product(t, w, x, m: m, path: p)
                    #expect(y.count == ref.count)
                    for i in ref.indices {
                        #expect(
                            abs(y[i] - ref[i]) <= 1e-5 * absWX[i] + 1e-6,
                            Comment(
                                rawValue:
                                    "\(t.name) path \(String(cString: lk_path_name(p))) edge \(edge) m \(m) [\(i)]: "
                                        + "\(y[i]) "
                                    + "vs \(ref[i])")
                        )
                    }
                    compared += ref.count
                }
            }
        }
        print("\(t.name): compared \(compared) outputs over paths \(paths.map { String(cString: lk_path_name($0)) })")
        #expect(paths.isEmpty || compared > 0)
    }

    /// A row's result does not depend on how many activation rows share the call (one-row kernels, four-row
    /// blocks and single rows all give the same bits), on every type and supported path: batched decoding then
    /// equals one sequence at a time. The k-quants are also bit-identical across paths (exact integer sums, one
    /// Float32 formula per block).
    @Test(arguments: RandomBlocks.types) func rowResultsDoNotDependOnTheRowCount(_ t: GGMLType) {
        let w = RandomBlocks.make(t, rows: rows, cols: cols, seed: 31)
        var rng = SeededGenerator(seed: 8)
        let x = (0..<(9 * cols)).map { _ in Float.random(in: -2...2, using: &rng) }
        var compared = 0
        for p in (0..<Int32(LK_PATH_COUNT)).filter({ lk_path_supported($0) != 0 }) {
            let nine = product(t, w, x, m: 9, path: p)
            for i in 0..<9 {
                let one = product(t, w, Array(x[(i * cols)..<((i + 1) * cols)]), m: 1, path: p)
                #expect(Array(nine[(i * rows)..<((i + 1) * rows)]) == one, "\(t.name) path \(p) row \(i)")
                compared += 1
            }
        }
        #expect(compared >= 9)
        let isK = [GGMLType.q2_K, .q3_K, .q4_K, .q5_K, .q6_K].contains(t)
        if isK {
            let ref = product(t, w, x, m: 9, path: Int32(LK_PATH_SCALAR))
            for p in (1..<Int32(LK_PATH_COUNT)).filter({ lk_path_supported($0) != 0 }) {
                #expect(product(t, w, x, m: 9, path: p) == ref, "\(t.name): path \(p) differs from the portable path")
            }
        }
    }

    /// The SIMD activation quantizer writes the portable quantizer's bytes: random rows of several scales, rows with
    /// exact ties (x·127/max|x| = n + ½), huge and tiny values, zeros, infinities and NaNs (handed to the portable
    /// code), for both block families.
    @Test func activationQuantizationMatchesThePortableCode() {
        let k = 512
        var rng = SeededGenerator(seed: 77)
        var rows: [[Float]] = (0..<6).map { s in
            let scale = Float([1e-30, 1e-3, 1, 37, 1e4, 3e37][s])
            return (0..<k).map { _ in Float.random(in: -1...1, using: &rng) * scale }
        }
        rows.append((0..<k).map { i in i % 32 == 0 ? 127 : Float(i % 32) + 0.5 })  // ties: amax 127 gives id 1
        rows.append([Float](repeating: 0, count: k))
        var special = rows[2]
        special[3] = .infinity; special[40] = .nan; special[300] = -.infinity; special[301] = -0.0
        rows.append(special)
        for t in [GGMLType.q8_0, .q4_K] {
            let bytes = lk_act_row_bytes(t.rawValue, Int64(k))
            for (r, x) in rows.enumerated() {
                var fast = [UInt8](repeating: 0xAA, count: bytes), slow = [UInt8](repeating: 0x55, count: bytes)
                fast.withUnsafeMutableBytes { lk_quantize_act(t.rawValue, x, $0.baseAddress!, Int64(k)) }
                slow.withUnsafeMutableBytes { lk_quantize_act_portable(t.rawValue, x, $0.baseAddress!, Int64(k)) }
                #expect(fast == slow, "\(t.name) row \(r)")
            }
        }
    }

    /// The decoding step's attention products on an F16 cache give the bits of the Float32 products on the widened
    /// cache (head sizes with and without a 16-lane tail, key counts with and without a 4-key remainder, a zero
    /// probability that P·V skips).
    @Test func f16AttentionProductsEqualTheWidenedOnes() {
        var rng = SeededGenerator(seed: 5)
        for (hd, S) in [(128, 37), (256, 8), (40, 5), (64, 1)] {
            let ld = hd + 16  // rows [S, ld]: a head inside a wider row, as in the cache
            let q = (0..<hd).map { _ in Float.random(in: -3...3, using: &rng) }
            let kf = (0..<(S * ld)).map { _ in Float.random(in: -2...2, using: &rng) }
            var k16 = [UInt16](repeating: 0, count: S * ld)
            lk_f32_to_f16(kf, &k16, Int64(S * ld))
            var kw = [Float](repeating: 0, count: S * ld)
            lk_f16_to_f32(k16, &kw, Int64(S * ld))
            var viaHalf = [Float](repeating: .nan, count: S), viaFloat = viaHalf
            lk_attn_scores_f16(q, k16, Int64(S), Int64(hd), Int64(ld), 0.125, &viaHalf)
            lk_attn_scores(q, kw, Int64(S), Int64(hd), Int64(ld), 0.125, &viaFloat)
            #expect(viaHalf == viaFloat, "scores hd \(hd) S \(S)")
            var p = (0..<S).map { _ in Float.random(in: 0...1, using: &rng) }
            p[0] = 0
            var outHalf = [Float](repeating: .nan, count: hd), outFloat = outHalf
            lk_attn_pv_f16(p, k16, Int64(S), Int64(hd), Int64(ld), &outHalf)
            lk_attn_pv(p, kw, Int64(S), Int64(hd), Int64(ld), &outFloat)
            #expect(outHalf == outFloat, "P·V hd \(hd) S \(S)")
        }
    }

    /// A row range and a leading dimension write only their own entries.
    @Test func rowRangesAndLeadingDimension() {
        let t = GGMLType.q4_K, m = 2, ldy = rows + 3
        let w = RandomBlocks.make(t, rows: rows, cols: cols, seed: 3)
        var rng = SeededGenerator(seed: 9)
        let x = (0..<(m * cols)).map { _ in Float.random(in: -1...1, using: &rng) }
        let full = product(t, w, x, m: m, path: lk_best_path())
        let actBytes = lk_act_row_bytes(t.rawValue, Int64(cols))
        var xq = [UInt8](repeating: 0, count: actBytes * m)
        xq.withUnsafeMutableBytes { q in
            x.withUnsafeBufferPointer { xp in
                for i in 0..<m {
                    lk_quantize_act(t.rawValue, xp.baseAddress! + i * cols, q.baseAddress! + i * actBytes, Int64(cols))
                }
            }
        }
        var y = [Float](repeating: -7, count: m * ldy)
        _ = w.withUnsafeBytes { wp in
            xq.withUnsafeBytes { q in
                y.withUnsafeMutableBufferPointer { yp in
                    lk_gemv(
                        lk_best_path(), t.rawValue, wp.baseAddress!, cols / 256 * 144, Int64(cols), 5, 20,
                        q.baseAddress!, Int64(m),
                        yp.baseAddress!, Int64(ldy))
                }
            }
        }
        for i in 0..<m {
            for r in 0..<ldy {
                if (5..<20).contains(r) {
                    #expect(y[i * ldy + r] == full[i * rows + r])
                } else {
                    #expect(y[i * ldy + r] == -7)
                }
            }
        }
    }

    @Test func unsupportedTypeOrShapeIsRefused() {
        var y: [Float] = [0]
        let w = [UInt8](repeating: 0, count: 256), xq = [UInt8](repeating: 0, count: 4096)
        let rc1 = w.withUnsafeBytes { wp in
            xq.withUnsafeBytes { q in
                lk_gemv(-1, GGMLType.iq4_xs.rawValue, wp.baseAddress!, 136, 256, 0, 1, q.baseAddress!, 1, &y, 1)
            }
        }
        let rc2 = w.withUnsafeBytes { wp in
            xq.withUnsafeBytes { q in
                lk_gemv(-1, GGMLType.q4_K.rawValue, wp.baseAddress!, 144, 100, 0, 1, q.baseAddress!, 1, &y, 1)
            }
        }
        #expect(rc1 == -1 && rc2 == -1)
    }
}
