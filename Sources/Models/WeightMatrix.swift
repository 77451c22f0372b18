import CKernels
import Dispatch
import Foundation
import GGUF
import Numerics

/// How a model keeps its weight matrices in memory.
public enum WeightFormat: String, CaseIterable, Sendable {
    /// In their GGUF blocks, read straight from the memory-mapped file (the default).
    case quantized
    /// Dequantized to Float32 at load: the exact path the oracle tests check (`--weights f32`).
    case f32
}

/// How a product with quantized weights computes.
public enum ProductMode: String, CaseIterable, Sendable {
    /// Activation rows quantized to 8 bits per block, integer block dot products (llama.cpp's scheme); every row
    /// is computed alone, so results do not depend on how tokens are grouped into calls.
    case integer
    /// Weight panels dequantized exactly into a Float32 tile feeding sgemm: the Float32 path's numbers.
    case exact
    /// `integer` up to `WeightMatrix.integerRowLimit` rows, `exact` above (fastest; results depend on grouping).
    case auto
}

/// The kernel path of the quantized products, chosen once from the CPU (env LISA_KERNEL forces one:
/// scalar, avx2, avx512, avx512-vnni).
public enum KernelPath {
    nonisolated(unsafe) public static var current: Int32 = {
        if let forced = ProcessInfo.processInfo.environment["LISA_KERNEL"],
            let p = (0..<Int32(LK_PATH_COUNT)).first(where: { String(cString: lk_path_name($0)) == forced }),
            lk_path_supported(p) != 0
        {
            return p
        }
        return lk_best_path()
    }()
    public static var name: String { String(cString: lk_path_name(current)) }
    /// Every path this CPU supports, slowest first.
    public static var supported: [Int32] { (0..<Int32(LK_PATH_COUNT)).filter { lk_path_supported($0) != 0 } }
    public static func name(_ p: Int32) -> String { String(cString: lk_path_name(p)) }
}

/// One linear layer's weight W [rows = out, cols = in], row-major, either Float32 or in its ggml blocks
/// (memory-mapped). Products: `forward` y = x·Wᵀ, `backwardInput` dx = dy·W.
///
/// Quantized products with few activation rows (decoding, batch ≤ `integerRowLimit`) quantize the rows to
/// 8 bits per block and use the integer block dot products of CKernels; with more rows (prefill, training)
/// panels of W are dequantized exactly into a Float32 tile that feeds sgemm, so those results equal the
/// Float32 path's up to sgemm's blocking.
public final class WeightMatrix: @unchecked Sendable {
    public let name: String
    public let rows: Int
    public let cols: Int
    /// The element type as stored (F32 for dequantized matrices).
    public private(set) var type: GGMLType
    /// Float32 values [rows, cols] when stored as Float32.
    public private(set) var f32: FloatBuffer?
    private let blocks: UnsafeRawPointer?
    private let rowBytes: Int
    private let owner: AnyObject?  // keeps the mapping of `blocks` alive

    /// Threads of the quantized products (set with the BLAS threads).
    nonisolated(unsafe) public static var threads = 2
    /// Activation rows up to which the integer kernels run; more rows take the dequantized-tile sgemm.
    nonisolated(unsafe) public static var integerRowLimit = 8
    /// Activation rows up to which the exact mode dots dequantized rows directly; more rows take the tile sgemm.
    nonisolated(unsafe) public static var exactRowLimit = 8

    public init(name: String, rows: Int, cols: Int, f32: FloatBuffer) {
        self.name = name; self.rows = rows; self.cols = cols; self.type = .f32; self.f32 = f32
        blocks = nil; rowBytes = cols * 4; owner = nil
    }

    /// A view of `rows` rows of ggml blocks at `blocks` (kept alive by `owner`).
    public init(name: String, rows: Int, cols: Int, type: GGMLType, blocks: UnsafeRawPointer, owner: AnyObject) throws {
        guard lk_type_supported(type.rawValue) != 0, GGUFDequant.supported.contains(type) else {
            throw ModelError.unsupportedWeightType(tensor: name, type: type.name)
        }
        guard cols % type.blockSize == 0 else {
            throw ModelError.tensorShape(path: "", name: name, expected: [rows, cols], found: [rows, cols])
        }
        self.name = name; self.rows = rows; self.cols = cols; self.type = type; self.f32 = nil
        self.blocks = blocks; rowBytes = cols / type.blockSize * type.blockBytes; self.owner = owner
    }

    public var count: Int { rows * cols }
    /// Bytes the weights take in memory (mapped blocks or Float32).
    public var bytes: Int { f32 != nil ? rows * cols * 4 : rows * rowBytes }
    public var isQuantized: Bool { f32 == nil }

    /// y[m, rows] (leading dimension ldy) = x[m, cols] · Wᵀ; `mode` says how quantized weights compute (Float32
    /// weights always use sgemm).
    public func forward(
        _ x: UnsafePointer<Float>, m: Int, into y: UnsafeMutablePointer<Float>, ldy: Int? = nil,
        mode: ProductMode = .auto
    ) {
        let ldy = ldy ?? rows
        if let f = f32 {
            BLAS.gemmNT(m: m, n: rows, k: cols, a: x, lda: cols, b: f.pointer, ldb: cols, c: y, ldc: ldy)
            return
        }
        if mode == .integer || (mode == .auto && m <= Self.integerRowLimit) {
            integerForward(x, m: m, y: y, ldy: ldy); return
        }
        // exact, few rows: dequantize one weight row at a time and dot in Float32, instead of the whole matrix per call
        if m <= Self.exactRowLimit { exactFewRows(x, m: m, y: y, ldy: ldy); return }
        forEachTile { r0, r1, tile in
            BLAS.gemmNT(m: m, n: r1 - r0, k: cols, a: x, lda: cols, b: tile, ldb: cols, c: y + r0, ldc: ldy)
        }
    }

    /// dx[m, cols] = alpha · dy[m, rows] · W (or += when `accumulate`): the input gradient of a linear layer.
    public func backwardInput(
        _ dy: UnsafePointer<Float>, m: Int, into dx: UnsafeMutablePointer<Float>, alpha: Float = 1,
        accumulate: Bool
    ) {
        if let f = f32 {
            BLAS.gemmNN(
                m: m, n: cols, k: rows, alpha: alpha, a: dy, lda: rows, b: f.pointer, ldb: cols,
                beta: accumulate ? 1 : 0,
                c: dx, ldc: cols)
            return
        }
        var first = !accumulate
        forEachTile { r0, r1, tile in
            BLAS.gemmNN(
                m: m, n: cols, k: r1 - r0, alpha: alpha, a: dy + r0, lda: rows, b: tile, ldb: cols, beta: first ? 0 : 1,
                c: dx, ldc: cols)
            first = false
        }
    }

    /// Row i of W as Float32 (an embedding lookup): cols values into `out`.
    public func row(_ i: Int, into out: UnsafeMutablePointer<Float>) {
        if let f = f32 { out.update(from: f.pointer + i * cols, count: cols); return }
        _ = lk_dequant_rows(type.rawValue, blocks! + i * rowBytes, rowBytes, 1, Int64(cols), out)
    }

    /// Rows [r0, r1) of W as Float32 into out [(r1 − r0), cols] (exact ggml dequantization).
    public func dequantizeRows(_ r0: Int, _ r1: Int, into out: UnsafeMutablePointer<Float>) {
        if let f = f32 { out.update(from: f.pointer + r0 * cols, count: (r1 - r0) * cols); return }
        let n = r1 - r0, src = blocks!
        let t = type.rawValue, rb = rowBytes, k = cols
        // C, in ggml's arithmetic: bit for bit the GGUF reader's dequantization (tested), several times faster
        let workers = min(Self.threads, max(1, n * k / 65_536))
        if workers <= 1 {
            _ = lk_dequant_rows(t, src + r0 * rb, rb, Int64(n), Int64(k), out)
            return
        }
        let per = (n + workers - 1) / workers
        Parallel.forEach(workers) { w in
            let a = w * per, b = min(n, a + per)
            guard a < b else { return }
            _ = lk_dequant_rows(t, src + (r0 + a) * rb, rb, Int64(b - a), Int64(k), out + a * k)
        }
    }

    /// Replaces the blocks by a Float32 copy (used where weights are changed, e.g. a merged LoRA delta) and
    /// returns it.
    @discardableResult
    public func materializeFloat32() -> FloatBuffer {
        if let f = f32 { return f }
        let f = FloatBuffer(count: rows * cols, zeroed: false)
        dequantizeRows(0, rows, into: f.pointer)
        f32 = f; type = .f32
        return f
    }

    // MARK: - quantized products

    private func integerForward(_ x: UnsafePointer<Float>, m: Int, y: UnsafeMutablePointer<Float>, ldy: Int) {
        let t = type.rawValue, k = cols
        let actBytes = lk_act_row_bytes(t, Int64(k))  // per activation row
        let xq = UnsafeMutableRawPointer.allocate(byteCount: max(64, actBytes * m), alignment: 64)  // [m, actBytes]
        defer { xq.deallocate() }
        // each row quantized alone, so spreading the rows over the threads changes nothing
        let qWorkers = m * k >= 16_384 ? min(Self.threads, m) : 1
        Parallel.forEach(qWorkers) { w in
            for i in stride(from: w, to: m, by: qWorkers) { lk_quantize_act(t, x + i * k, xq + i * actBytes, Int64(k)) }
        }
        let path = KernelPath.current, w = blocks!, rb = rowBytes, n = rows
        let workers = min(Self.threads, max(1, n / 64))
        if workers <= 1 {
            _ = lk_gemv(path, t, w, rb, Int64(k), 0, Int64(n), xq, Int64(m), y, Int64(ldy))
            return
        }
        // chunks of whole rows; a few per worker so uneven progress evens out
        let chunks = workers * 4, per = (n + chunks - 1) / chunks
        let xqc = UnsafeRawPointer(xq)
        Parallel.forEach(chunks) { c in
            let r0 = c * per, r1 = min(n, r0 + per)
            guard r0 < r1 else { return }
            _ = lk_gemv(path, t, w, rb, Int64(k), Int64(r0), Int64(r1), xqc, Int64(m), y, Int64(ldy))
        }
    }

    /// The exact product for m ≤ exactRowLimit activation rows (lk_dequant_gemv), rows split over the threads.
    private func exactFewRows(_ x: UnsafePointer<Float>, m: Int, y: UnsafeMutablePointer<Float>, ldy: Int) {
        let t = type.rawValue, w = blocks!, rb = rowBytes, k = cols, n = rows
        let workers = min(Self.threads, max(1, n / 64))
        let chunks = workers <= 1 ? 1 : workers * 4, per = (n + chunks - 1) / chunks
        let run: (Int) -> Void = { c in
            let r0 = c * per, r1 = min(n, r0 + per)
            guard r0 < r1 else { return }
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: k)  // [k] one dequantized weight row
            defer { scratch.deallocate() }
            _ = lk_dequant_gemv(t, w, rb, Int64(k), Int64(r0), Int64(r1), x, Int64(m), y, Int64(ldy), scratch)
        }
        if chunks == 1 { run(0) } else { Parallel.forEach(chunks, run) }
    }

    /// Calls body(r0, r1, tile) for consecutive row panels, tile = rows [r0, r1) dequantized [(r1 − r0), cols].
    private func forEachTile(_ body: (Int, Int, UnsafePointer<Float>) -> Void) {
        let panel = max(16, min(rows, TileScratch.floats / cols))
        let tile = TileScratch.take(panel * cols)
        defer { TileScratch.give(tile) }
        var r0 = 0
        while r0 < rows {
            let r1 = min(rows, r0 + panel)
            dequantizeRows(r0, r1, into: tile.pointer)
            body(r0, r1, tile.pointer)
            r0 = r1
        }
    }
}

/// Reusable Float32 tiles for the dequantized panels (a fresh 4 MB allocation per product would page-fault).
enum TileScratch {
    /// Floats per tile: 1 Mi (4 MiB).
    static let floats = 1 << 20
    nonisolated(unsafe) private static var free: [FloatBuffer] = []
    private static let lock = NSLock()

    static func take(_ count: Int) -> FloatBuffer {
        lock.lock(); defer { lock.unlock() }
        if let i = free.firstIndex(where: { $0.count >= count }) { return free.remove(at: i) }
        return FloatBuffer(count: max(count, floats), zeroed: false)
    }
    static func give(_ b: FloatBuffer) {
        lock.lock(); defer { lock.unlock() }
        if free.count < 4 { free.append(b) }
    }
}
