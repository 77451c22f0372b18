/// Float32 → ggml storage for the types tests need to build small models: F32, F16, BF16 and Q8_0.
extension GGUFWriter {
    /// The raw bytes of `values` stored as `type` (ggml's reference rounding). values.count must be a
    /// multiple of the type's block size.
    public static func quantize(_ values: [Float], to type: GGMLType) throws -> [UInt8] {
        guard values.count % type.blockSize == 0 else {
            throw GGUFError.badValueCount(
                what: "quantizing to \(type.name)", count: values.count, blockSize: type.blockSize)
        }
        guard [.f32, .f16, .bf16, .q8_0].contains(type) else {
            throw GGUFError.quantizationUnsupported(type: type.name)
        }
        var out = [UInt8](repeating: 0, count: values.count / type.blockSize * type.blockBytes)
        out.withUnsafeMutableBytes { dst in
            values.withUnsafeBufferPointer { src in
                switch type {
                case .f32:
                    for (i, v) in src.enumerated() {
                        dst.storeBytes(of: v.bitPattern.littleEndian, toByteOffset: 4 * i, as: UInt32.self)
                    }
                case .f16:
                    for (i, v) in src.enumerated() {
                        dst.storeBytes(of: HalfFloat.fromFloat(v).littleEndian, toByteOffset: 2 * i, as: UInt16.self)
                    }
                case .bf16:
                    for (i, v) in src.enumerated() {
                        dst.storeBytes(
                            of: HalfFloat.bf16FromFloat(v).littleEndian, toByteOffset: 2 * i, as: UInt16.self)
                    }
                case .q8_0:
                    for b in 0..<(src.count / 32) { q8_0Block(src.baseAddress! + 32 * b, dst.baseAddress! + 34 * b) }
                default: preconditionFailure("checked above")
                }
            }
        }
        return out
    }

    /// ggml's quantize_row_q8_0_ref for one block: d = max|x| / 127 stored as f16, q = roundf(x / d)
    /// (ties away from zero), computed with the Float32 inverse 1/d as ggml does.
    static func q8_0Block(_ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer) {
        var amax: Float = 0
        for j in 0..<32 { amax = max(amax, abs(x[j])) }
        let d = amax / 127
        let id: Float = d != 0 ? 1 / d : 0
        y.storeBytes(of: HalfFloat.fromFloat(d).littleEndian, as: UInt16.self)
        for j in 0..<32 {
            let q = (x[j] * id).rounded(.toNearestOrAwayFromZero)
            y.storeBytes(of: Int8(q), toByteOffset: 2 + j, as: Int8.self)
        }
    }
}
