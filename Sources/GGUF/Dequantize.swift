import Dispatch
import Foundation

/// Exact dequantization of ggml tensor data to Float32, bit-identical to ggml's `dequantize_row_*`.
public enum GGUFDequant {
    /// Types with a dequantizer here.
    public static let supported: Set<GGMLType> = [
        .f32, .f16, .bf16, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0,
        .q2_K, .q3_K, .q4_K, .q5_K, .q6_K,
    ]

    /// Below this many blocks one thread does the work (thread start-up would cost more than it saves).
    static let parallelBlocks = 1 << 12

    /// Dequantizes `count` elements (a multiple of the type's block size) from `src` to `dst`.
    /// src: count / blockSize blocks of blockBytes bytes; dst: count Floats. Large inputs run on all cores.
    public static func dequantize(
        type: GGMLType, src: UnsafeRawPointer, count: Int,
        dst: UnsafeMutablePointer<Float>, name: String = ""
    ) throws {
        guard supported.contains(type) else {
            throw GGUFError.unsupportedDequantization(tensor: name, type: type.name)
        }
        guard count >= 0, count % type.blockSize == 0 else {
            throw GGUFError.badValueCount(
                what: "dequantizing '\(name)' from \(type.name)", count: count, blockSize: type.blockSize)
        }
        let blocks = count / type.blockSize
        let workers = ProcessInfo.processInfo.activeProcessorCount
        if blocks < parallelBlocks || workers < 2 {
            blocksSerial(type, src, blocks, dst)
            return
        }
        // Chunks of whole blocks, several per core so uneven progress evens out.
        let chunks = min(workers * 4, blocks / (parallelBlocks / 4))
        let per = (blocks + chunks - 1) / chunks
        let s = UnsafeRawPointer(src), d = dst  // captured as plain pointers: disjoint writes per chunk
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            let b0 = c * per, b1 = min(blocks, b0 + per)
            guard b0 < b1 else { return }
            blocksSerial(type, s + b0 * type.blockBytes, b1 - b0, d + b0 * type.blockSize)
        }
    }

    /// As `dequantize(type:src:count:dst:name:)` but always on the calling thread (for callers that
    /// split the work themselves).
    public static func dequantizeSerial(
        type: GGMLType, src: UnsafeRawPointer, count: Int,
        dst: UnsafeMutablePointer<Float>, name: String = ""
    ) throws {
        guard supported.contains(type) else { throw GGUFError.unsupportedDequantization(tensor: name, type: type.name) }
        guard count >= 0, count % type.blockSize == 0 else {
            throw GGUFError.badValueCount(
                what: "dequantizing '\(name)' from \(type.name)", count: count, blockSize: type.blockSize)
        }
        blocksSerial(type, src, count / type.blockSize, dst)
    }

    /// One thread: `blocks` consecutive blocks.
    static func blocksSerial(
        _ type: GGMLType, _ src: UnsafeRawPointer, _ blocks: Int, _ dst: UnsafeMutablePointer<Float>
    ) {
        switch type {
        case .f32:
            memcpy(dst, src, blocks * 4)
        case .f16:
            for i in 0..<blocks {
                dst[i] = HalfFloat.toFloat(src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self).littleEndian)
            }
        case .bf16:
            for i in 0..<blocks {
                dst[i] = HalfFloat.bf16ToFloat(src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self).littleEndian)
            }
        case .q4_0: each(blocks, 18, 32, src, dst, LegacyBlocks.q4_0)
        case .q4_1: each(blocks, 20, 32, src, dst, LegacyBlocks.q4_1)
        case .q5_0: each(blocks, 22, 32, src, dst, LegacyBlocks.q5_0)
        case .q5_1: each(blocks, 24, 32, src, dst, LegacyBlocks.q5_1)
        case .q8_0: each(blocks, 34, 32, src, dst, LegacyBlocks.q8_0)
        case .q2_K: each(blocks, 84, 256, src, dst, KBlocks.q2_K)
        case .q3_K: each(blocks, 110, 256, src, dst, KBlocks.q3_K)
        case .q4_K: each(blocks, 144, 256, src, dst, KBlocks.q4_K)
        case .q5_K: each(blocks, 176, 256, src, dst, KBlocks.q5_K)
        case .q6_K: each(blocks, 210, 256, src, dst, KBlocks.q6_K)
        default: preconditionFailure("checked by dequantize(type:…)")
        }
    }

    @inline(__always)
    static func each(
        _ blocks: Int, _ bytes: Int, _ elems: Int, _ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>,
        _ kernel: (UnsafeRawPointer, UnsafeMutablePointer<Float>) -> Void
    ) {
        for b in 0..<blocks { kernel(src + b * bytes, dst + b * elems) }
    }
}

extension GGUFFile {
    /// The whole tensor named `name` as Float32, in ggml order (dims[0] fastest).
    public func dequantize(_ name: String) throws -> [Float] {
        guard let info = tensor(name) else { throw GGUFError.missingTensor(path: path, name: name) }
        return try dequantize(info)
    }

    /// The whole tensor as Float32: elementCount values, ggml order.
    public func dequantize(_ info: GGUFTensorInfo) throws -> [Float] {
        guard GGUFDequant.supported.contains(info.type) else {
            throw GGUFError.unsupportedDequantization(tensor: info.name, type: info.type.name)
        }
        let raw = rawBytes(info)
        return try [Float](unsafeUninitializedCapacity: info.elementCount) { buf, n in
            try GGUFDequant.dequantize(
                type: info.type, src: raw.baseAddress!, count: info.elementCount,
                dst: buf.baseAddress!, name: info.name)
            n = info.elementCount
        }
    }

    /// Row `row` (0 ..< elementCount / dims[0]) of the tensor: dims[0] Floats written to `into`.
    public func dequantizeRow(_ info: GGUFTensorInfo, row: Int, into: UnsafeMutablePointer<Float>) throws {
        let rowLength = info.dims[0]
        let rows = info.elementCount / rowLength
        guard row >= 0, row < rows else {
            throw GGUFError.rowOutOfRange(path: path, tensor: info.name, row: row, rows: rows)
        }
        let rowBytes = rowLength / info.type.blockSize * info.type.blockBytes
        let raw = rawBytes(info)
        try GGUFDequant.dequantize(
            type: info.type, src: raw.baseAddress! + row * rowBytes, count: rowLength,
            dst: into, name: info.name)
    }
}
