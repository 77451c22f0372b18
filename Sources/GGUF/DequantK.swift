/// Block kernels for ggml's 256-element k-quants (ggml-common.h `block_q2_K` … `block_q6_K`), one
/// super-block at a time: `src` points at the block, `y` at its 256 outputs. The arithmetic order
/// follows ggml's `dequantize_row_q*_K` reference (e.g. d·sc first, then ·q, then − m) so results are
/// bit-identical in Float32.
enum KBlocks {
    @inline(__always)
    static func half(_ p: UnsafeRawPointer, _ offset: Int) -> Float { LegacyBlocks.half(p, offset) }

    /// block_q2_K (84 bytes): u8 scales[16] (low nibble scale, high nibble min per 16 elements),
    /// u8 qs[64] (2-bit quants, four planes per 32 bytes), f16 d, f16 dmin.
    @inline(__always)
    static func q2_K(_ src: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let scales = src.assumingMemoryBound(to: UInt8.self)
        var q = (src + 16).assumingMemoryBound(to: UInt8.self)
        let d = half(src, 80), dmin = half(src, 82)
        var y = out
        var s = 0
        for _ in 0..<2 {  // two halves of 128 elements, 32 bytes of qs each
            var shift: UInt8 = 0
            for _ in 0..<4 {
                for part in 0..<2 {  // 16 elements from q[0..16), then 16 from q[16..32)
                    let sc = scales[s]; s += 1
                    let dl = d * Float(sc & 0x0F), ml = dmin * Float(sc >> 4)
                    let qq = q + 16 * part
                    for l in 0..<16 { y[l] = dl * Float((qq[l] >> shift) & 3) - ml }
                    y += 16
                }
                shift += 2
            }
            q += 32
        }
    }

    /// block_q3_K (110 bytes): u8 hmask[32] (3rd bit, inverted: set means +0, clear means −4),
    /// u8 qs[64] (low 2 bits), u8 scales[12] (sixteen 6-bit scales, biased by 32), f16 d.
    @inline(__always)
    static func q3_K(_ src: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let hm = src.assumingMemoryBound(to: UInt8.self)
        var q = (src + 32).assumingMemoryBound(to: UInt8.self)
        let d = half(src, 108)
        // Unpack the 12 scale bytes into 16 signed 6-bit scales: the low 4 bits come from bytes 0..7
        // (low then high nibble), the top 2 bits from bytes 8..11.
        let a0 = src.loadUnaligned(fromByteOffset: 96, as: UInt32.self).littleEndian
        let a1 = src.loadUnaligned(fromByteOffset: 100, as: UInt32.self).littleEndian
        let t = src.loadUnaligned(fromByteOffset: 104, as: UInt32.self).littleEndian
        let k1: UInt32 = 0x0303_0303, k2: UInt32 = 0x0F0F_0F0F
        let w0 = (a0 & k2) | (((t >> 0) & k1) << 4)
        let w1 = (a1 & k2) | (((t >> 2) & k1) << 4)
        let w2 = ((a0 >> 4) & k2) | (((t >> 4) & k1) << 4)
        let w3 = ((a1 >> 4) & k2) | (((t >> 6) & k1) << 4)
        var scales = (w0, w1, w2, w3)  // 16 bytes: scale s is byte s, value − 32
        withUnsafeBytes(of: &scales) { sb in
            var y = out
            var s = 0
            var m: UInt8 = 1
            for _ in 0..<2 {
                var shift: UInt8 = 0
                for _ in 0..<4 {
                    for part in 0..<2 {
                        let dl = d * Float(Int32(sb[s]) - 32); s += 1
                        let qq = q + 16 * part, hh = hm + 16 * part
                        for l in 0..<16 {
                            let v = Int32((qq[l] >> shift) & 3) - (hh[l] & m != 0 ? 0 : 4)
                            y[l] = dl * Float(v)
                        }
                        y += 16
                    }
                    shift += 2
                    m <<= 1
                }
                q += 32
            }
        }
    }

    /// ggml's get_scale_min_k4: 8 pairs of 6-bit (scale, min) packed in 12 bytes.
    @inline(__always)
    static func scaleMin(_ j: Int, _ q: UnsafePointer<UInt8>) -> (Float, Float) {
        if j < 4 { return (Float(q[j] & 63), Float(q[j + 4] & 63)) }
        return (Float((q[j + 4] & 0x0F) | ((q[j - 4] >> 6) << 4)), Float((q[j + 4] >> 4) | ((q[j] >> 6) << 4)))
    }

    /// block_q4_K (144 bytes): f16 d, f16 dmin, u8 scales[12], u8 qs[128]. Each 64 elements use one
    /// 32-byte run: low nibbles with (scale, min) 2i, high nibbles with 2i+1; x = d·sc·q − dmin·m.
    @inline(__always)
    static func q4_K(_ src: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = half(src, 0), dmin = half(src, 2)
        let sc = (src + 4).assumingMemoryBound(to: UInt8.self)
        var q = (src + 16).assumingMemoryBound(to: UInt8.self)
        var y = out
        for i in 0..<4 {
            let (s1, m1) = scaleMin(2 * i, sc), (s2, m2) = scaleMin(2 * i + 1, sc)
            let d1 = d * s1, mm1 = dmin * m1, d2 = d * s2, mm2 = dmin * m2
            for l in 0..<32 { y[l] = d1 * Float(q[l] & 0x0F) - mm1 }
            for l in 0..<32 { y[l + 32] = d2 * Float(q[l] >> 4) - mm2 }
            q += 32; y += 64
        }
    }

    /// block_q5_K (176 bytes): f16 d, f16 dmin, u8 scales[12], u8 qh[32] (5th bits, two planes per
    /// 64 elements), u8 qs[128]; as Q4_K with +16 where the high bit is set.
    @inline(__always)
    static func q5_K(_ src: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = half(src, 0), dmin = half(src, 2)
        let sc = (src + 4).assumingMemoryBound(to: UInt8.self)
        let qh = (src + 16).assumingMemoryBound(to: UInt8.self)
        var ql = (src + 48).assumingMemoryBound(to: UInt8.self)
        var y = out
        var u1: UInt8 = 1, u2: UInt8 = 2
        for i in 0..<4 {
            let (s1, m1) = scaleMin(2 * i, sc), (s2, m2) = scaleMin(2 * i + 1, sc)
            let d1 = d * s1, mm1 = dmin * m1, d2 = d * s2, mm2 = dmin * m2
            for l in 0..<32 { y[l] = d1 * Float((ql[l] & 0x0F) + (qh[l] & u1 != 0 ? 16 : 0)) - mm1 }
            for l in 0..<32 { y[l + 32] = d2 * Float((ql[l] >> 4) + (qh[l] & u2 != 0 ? 16 : 0)) - mm2 }
            ql += 32; y += 64
            u1 <<= 2; u2 <<= 2
        }
    }

    /// block_q6_K (210 bytes): u8 ql[128] (low 4 bits), u8 qh[64] (high 2 bits), i8 scales[16], f16 d.
    /// Per 128 elements: 64 ql bytes, 32 qh bytes, 8 scales; x = d·sc·(q − 32).
    @inline(__always)
    static func q6_K(_ src: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        var ql = src.assumingMemoryBound(to: UInt8.self)
        var qh = (src + 128).assumingMemoryBound(to: UInt8.self)
        var sc = (src + 192).assumingMemoryBound(to: Int8.self)
        let d = half(src, 208)
        var y = out
        for _ in 0..<2 {
            for l in 0..<32 {
                let s = l / 16
                let h = qh[l]
                let q1 = Int32((ql[l] & 0x0F) | ((h & 3) << 4)) - 32
                let q2 = Int32((ql[l + 32] & 0x0F) | (((h >> 2) & 3) << 4)) - 32
                let q3 = Int32((ql[l] >> 4) | (((h >> 4) & 3) << 4)) - 32
                let q4 = Int32((ql[l + 32] >> 4) | (((h >> 6) & 3) << 4)) - 32
                y[l] = d * Float(sc[s]) * Float(q1)
                y[l + 32] = d * Float(sc[s + 2]) * Float(q2)
                y[l + 64] = d * Float(sc[s + 4]) * Float(q3)
                y[l + 96] = d * Float(sc[s + 6]) * Float(q4)
            }
            y += 128; ql += 64; qh += 32; sc += 8
        }
    }
}
