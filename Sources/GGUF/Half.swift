/// IEEE binary16 and bfloat16 conversions done on bit patterns, so they are exact and portable
/// (Swift's `Float16` is missing on Intel macOS). Rounding matches ggml: round to nearest, ties to even.
public enum HalfFloat {
    /// binary16 bits → Float32, exact for every pattern (subnormals, infinities, NaN payloads).
    @inline(__always)
    public static func toFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exp = UInt32(h >> 10) & 0x1F
        let mant = UInt32(h & 0x3FF)
        if exp == 0 {
            // Subnormal: mant · 2^-24, exact in Float32.
            let v = Float(mant) * 0x1p-24
            return Float(bitPattern: v.bitPattern | sign)
        }
        if exp == 31 { return Float(bitPattern: sign | 0x7F80_0000 | (mant << 13)) }
        return Float(bitPattern: sign | ((exp + 112) << 23) | (mant << 13))
    }

    /// Float32 → binary16 bits, round to nearest even (ggml's GGML_FP32_TO_FP16, numpy's astype(float16)).
    public static func fromFloat(_ f: Float) -> UInt16 {
        let x = f.bitPattern
        let sign = UInt16((x >> 16) & 0x8000)
        let a = x & 0x7FFF_FFFF
        if a > 0x7F80_0000 { return sign | 0x7E00 | UInt16((a >> 13) & 0x3FF) }  // NaN stays NaN (quiet)
        if a >= 0x4780_0000 { return sign | 0x7C00 }  // ≥ 2^16 → ∞
        if a < 0x3880_0000 {
            // Below the smallest normal half (2^-14): a subnormal, round(v · 2^24); 1024 carries into 0x400.
            let v = Float(bitPattern: a) * 0x1p24
            return sign | UInt16(v.rounded(.toNearestOrEven))
        }
        var h = (((a >> 23) - 112) << 10) | ((a & 0x7F_FFFF) >> 13)
        let rest = a & 0x1FFF
        if rest > 0x1000 || (rest == 0x1000 && h & 1 == 1) { h += 1 }  // a carry may reach ∞: correct
        return sign | UInt16(h)
    }

    /// bfloat16 bits → Float32 (the upper half of the Float32 pattern).
    @inline(__always)
    public static func bf16ToFloat(_ b: UInt16) -> Float { Float(bitPattern: UInt32(b) << 16) }

    /// Float32 → bfloat16 bits as ggml_compute_fp32_to_bf16: NaN forced quiet, otherwise round to nearest even.
    public static func bf16FromFloat(_ f: Float) -> UInt16 {
        let u = f.bitPattern
        if u & 0x7FFF_FFFF > 0x7F80_0000 { return UInt16(u >> 16) | 64 }
        return UInt16((UInt64(u) + 0x7FFF + UInt64((u >> 16) & 1)) >> 16)
    }
}
