import Basics
import CKernels
import Dispatch
import Foundation
import Numerics

/// Machine roofs and kernel rates, measured on the spot (`lisa bench roof`): sgemm GFLOP/s, streaming read GB/s,
/// and the quantized products' rate per kernel path and row count on a real matrix.
public enum Roofline {
    /// Median seconds of `body` over `repeats` runs after one warm-up.
    static func seconds(_ repeats: Int, _ body: () -> Void) -> Double {
        body()
        var t: [Double] = []
        for _ in 0..<repeats {
            let t0 = DispatchTime.now().uptimeNanoseconds
            body()
            t.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
        }
        return t.sorted()[t.count / 2]
    }

    /// sgemm GFLOP/s on n×n×n Float32 (OpenBLAS, its current threads).
    public static func sgemmGFLOPs(n: Int = 1024, repeats: Int = 5) -> Double {
        let a = FloatBuffer(count: n * n), b = FloatBuffer(count: n * n), c = FloatBuffer(count: n * n)  // [n, n] each
        for i in 0..<(n * n) { a[i] = Float(i % 7) * 0.1; b[i] = Float(i % 5) * 0.1 }
        let s = seconds(repeats) {
            BLAS.gemmNT(m: n, n: n, k: n, a: a.pointer, lda: n, b: b.pointer, ldb: n, c: c.pointer, ldc: n)
        }
        return 2 * Double(n * n * n) / s / 1e9
    }

    /// Read bandwidth GB/s: the threads sum disjoint halves of a 512 MiB buffer.
    public static func readGBs(threads: Int, repeats: Int = 5) -> Double {
        let n = 128 << 20  // Floats (512 MiB)
        let buf = FloatBuffer(count: n)
        for i in stride(from: 0, to: n, by: 1024) { buf[i] = 1 }
        let per = n / threads, p = buf.pointer
        let s = seconds(repeats) {
            DispatchQueue.concurrentPerform(iterations: threads) { t in
                var acc = SIMD16<Float>()
                var q = UnsafeRawPointer(p + t * per)
                let end = q + per * 4
                while q < end { acc += q.loadUnaligned(as: SIMD16<Float>.self); q += 64 }
                if acc.sum() == -1 { print("") }  // keeps the loop
            }
        }
        return Double(n * 4) / s / 1e9
    }

    /// One product's rate: a weight matrix times m activation rows.
    public struct ProductRate: Sendable {
        public let matrix: String, type: String, rows: Int, cols: Int, m: Int, path: String
        public let seconds: Double
        /// Weight elements × activation rows per second (multiply-adds), and weight bytes read per second.
        public var gmacs: Double { Double(rows * cols * m) / seconds / 1e9 }
        public let weightBytes: Int
        public var gbs: Double { Double(weightBytes) / seconds / 1e9 }
    }

    /// Times `w.forward` for each m on the integer path (every supported kernel path) and on the tile path.
    public static func products(_ w: WeightMatrix, ms: [Int], repeats: Int = 3) -> [ProductRate] {
        var out: [ProductRate] = []
        let maxM = ms.max() ?? 1
        let x = FloatBuffer(count: maxM * w.cols), y = FloatBuffer(count: maxM * w.rows)  // [m, cols], [m, rows]
        var rng = SeededGenerator(seed: 3)
        for i in 0..<x.count { x[i] = Float.random(in: -2...2, using: &rng) }
        let saved = KernelPath.current
        defer { KernelPath.current = saved }
        for m in ms {
            for p in KernelPath.supported {
                KernelPath.current = p
                let s = seconds(repeats) { w.forward(x.pointer, m: m, into: y.pointer, mode: .integer) }
                out.append(
                    ProductRate(
                        matrix: w.name, type: w.type.name, rows: w.rows, cols: w.cols, m: m,
                        path: KernelPath.name(p), seconds: s, weightBytes: w.bytes))
            }
            KernelPath.current = saved
            let s = seconds(repeats) { w.forward(x.pointer, m: m, into: y.pointer, mode: .exact) }
            out.append(
                ProductRate(
                    matrix: w.name, type: w.type.name, rows: w.rows, cols: w.cols, m: m,
                    path: "tile+sgemm", seconds: s, weightBytes: w.bytes))
        }
        return out
    }
}
