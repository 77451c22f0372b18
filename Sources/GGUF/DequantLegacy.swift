/// Block kernels for ggml's 32-element formats (ggml-common.h `block_q4_0` … `block_q8_0`), one block
/// at a time: `src` points at the block, `y` at its 32 outputs. Arithmetic order follows ggml's
/// `dequantize_row_*` reference so results are bit-identical (Float32, no fused multiply-add).
enum LegacyBlocks {
    @inline(__always)
    static func half(_ p: UnsafeRawPointer, _ offset: Int) -> Float {
        HalfFloat.toFloat(p.loadUnaligned(fromByteOffset: offset, as: UInt16.self).littleEndian)
    }

    /// block_q4_0 (18 bytes): f16 d, u8 qs[16]. Low nibbles are elements 0..15, high nibbles 16..31; x = (q - 8)·d.
    @inline(__always)
    static func q4_0(_ src: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(src, 0)
        let qs = (src + 2).assumingMemoryBound(to: UInt8.self)
        for j in 0..<16 {
            y[j] = Float(Int32(qs[j] & 0x0F) - 8) * d
            y[j + 16] = Float(Int32(qs[j] >> 4) - 8) * d
        }
    }

    /// block_q4_1 (20 bytes): f16 d, f16 m, u8 qs[16]; x = q·d + m.
    @inline(__always)
    static func q4_1(_ src: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(src, 0), m = half(src, 2)
        let qs = (src + 4).assumingMemoryBound(to: UInt8.self)
        for j in 0..<16 {
            y[j] = Float(qs[j] & 0x0F) * d + m
            y[j + 16] = Float(qs[j] >> 4) * d + m
        }
    }

    /// block_q5_0 (22 bytes): f16 d, u8 qh[4] (bit j = 5th bit of element j), u8 qs[16]; x = (q - 16)·d.
    @inline(__always)
    static func q5_0(_ src: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(src, 0)
        let qh = src.loadUnaligned(fromByteOffset: 2, as: UInt32.self).littleEndian
        let qs = (src + 6).assumingMemoryBound(to: UInt8.self)
        for j in 0..<16 {
            let h0 = ((qh >> UInt32(j)) << 4) & 0x10
            let h1 = (qh >> UInt32(j + 12)) & 0x10
            y[j] = Float(Int32(UInt32(qs[j] & 0x0F) | h0) - 16) * d
            y[j + 16] = Float(Int32(UInt32(qs[j] >> 4) | h1) - 16) * d
        }
    }

    /// block_q5_1 (24 bytes): f16 d, f16 m, u8 qh[4], u8 qs[16]; x = q·d + m.
    @inline(__always)
    static func q5_1(_ src: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(src, 0), m = half(src, 2)
        let qh = src.loadUnaligned(fromByteOffset: 4, as: UInt32.self).littleEndian
        let qs = (src + 8).assumingMemoryBound(to: UInt8.self)
        for j in 0..<16 {
            let h0 = ((qh >> UInt32(j)) << 4) & 0x10
            let h1 = (qh >> UInt32(j + 12)) & 0x10
            y[j] = Float(UInt32(qs[j] & 0x0F) | h0) * d + m
            y[j + 16] = Float(UInt32(qs[j] >> 4) | h1) * d + m
        }
    }

    /// block_q8_0 (34 bytes): f16 d, i8 qs[32]; x = q·d.
    @inline(__always)
    static func q8_0(_ src: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(src, 0)
        let qs = (src + 2).assumingMemoryBound(to: Int8.self)
        for j in 0..<32 { y[j] = Float(qs[j]) * d }
    }
}
