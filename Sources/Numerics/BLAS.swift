import COpenBLAS
import Dispatch
import Foundation

/// Thin, shape-documented wrappers over cblas. All matrices are row-major Float32.
///
/// The result must not depend on the thread count: OpenBLAS's own threading changes how a product is blocked, and
/// so its last bits (measured: a PIQA log-likelihood −38.3783 with 1 thread, −38.3766 with 2, exact products), which
/// 8-bit activation rounding then amplifies (a GSM8K gold log-likelihood −256.87 vs −254.91). So OpenBLAS runs
/// single-threaded, and each product is cut into column blocks of a fixed width — the same blocks whatever the
/// thread count — which `threads` workers take one by one. Every output element is then computed by the same call
/// on the same data with 1 thread or 16, and a run resumed with another `--threads` gives the same numbers.
public enum BLAS {
    /// Columns (output features) per block of a product; fixed so that the blocking never depends on the threads.
    /// 64: measured against 128 and 256 (and 64 with a static split), Gemma prefill of 512 tokens, 2 threads.
    static let blockColumns = 64
    /// Below this many multiply-adds a product runs as one call (too small to be worth splitting; fixed as well).
    static let splitThreshold = 1 << 18
    nonisolated(unsafe) private static var workers = 1
    /// OpenBLAS is put to one thread before the first product.
    private static let singleThreaded: Void = openblas_set_num_threads(1)

    /// Runs `body(j0, width)` over the fixed column blocks of `n` columns on `workers` threads, each thread taking
    /// the next block not yet taken (which thread computes a block never changes what it computes).
    @inline(__always)
    static func blocks(n: Int, work: Int, _ body: (Int, Int) -> Void) {
        _ = singleThreaded
        let w = workers
        guard work >= splitThreshold, n > blockColumns else { body(0, n); return }
        let count = (n + blockColumns - 1) / blockColumns
        func run(_ b: Int) { let j0 = b * blockColumns; body(j0, min(blockColumns, n - j0)) }
        if w <= 1 { for b in 0..<count { run(b) }; return }
        let next = BlockCounter()
        Parallel.forEach(min(w, count)) { _ in
            while true {
                let b = next.take()
                guard b < count else { return }
                run(b)
            }
        }
    }

    /// C[m, n] = alpha · A[m, k] · B[n, k]ᵀ + beta · C — the "x · Wᵀ" product of a linear layer
    /// whose weight is stored [out, in] (GGUF / PyTorch layout).
    @inline(__always)
    public static func gemmNT(
        m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        blocks(n: n, work: m * n * k) { j0, nb in
            // rows j0..<j0+nb of B (the weight's output features) give columns j0..<j0+nb of C
            if m == 1 {
                // One row: y[n] = W[n, k] · x[k] is a gemv (faster than a 1-row gemm in OpenBLAS).
                cblas_sgemv(
                    CblasRowMajor, CblasNoTrans, Int32(nb), Int32(k), alpha, b + j0 * ldb, Int32(ldb), a, 1, beta,
                    c + j0, 1)
                return
            }
            cblas_sgemm(
                CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(nb), Int32(k), alpha,
                a, Int32(lda), b + j0 * ldb, Int32(ldb), beta, c + j0, Int32(ldc))
        }
    }

    /// C[m, n] = alpha · A[m, k] · B[k, n] + beta · C.
    @inline(__always)
    public static func gemmNN(
        m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        gemmBN(CblasNoTrans, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }

    /// C[m, n] = alpha · A[k, m]ᵀ · B[k, n] + beta · C (used by backward passes).
    @inline(__always)
    public static func gemmTN(
        m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        gemmBN(CblasTrans, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }

    /// The products whose B is [k, n] (not transposed): its columns j0..<j0+nb give those of C.
    @inline(__always)
    static func gemmBN(
        _ transA: CBLAS_TRANSPOSE, m: Int, n: Int, k: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        blocks(n: n, work: m * n * k) { j0, nb in
            cblas_sgemm(
                CblasRowMajor, transA, CblasNoTrans, Int32(m), Int32(nb), Int32(k), alpha,
                a, Int32(lda), b + j0, Int32(ldb), beta, c + j0, Int32(ldc))
        }
    }

    /// The workers of every later product (OpenBLAS itself stays single-threaded: see the type's comment).
    public static func setThreads(_ n: Int) {
        openblas_set_num_threads(1)
        workers = max(1, n)
        Parallel.setThreads(workers)
    }

    /// The OpenBLAS kernel family in use, e.g. "Haswell", "SkylakeX", "Prescott".
    public static var coreName: String {
        guard let p = openblas_get_corename() else { return "unknown" }
        return String(cString: p)
    }
    public static var configString: String {
        guard let p = openblas_get_config() else { return "unknown" }
        return String(cString: p)
    }
}

/// The next block index to compute, shared by the workers of one product.
final class BlockCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func take() -> Int { lock.lock(); defer { lock.unlock() }; let v = value; value += 1; return v }
}
