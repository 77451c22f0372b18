import COpenBLAS

/// Thin, shape-documented wrappers over cblas. All matrices are row-major Float32.
public enum BLAS {
    /// C[m, n] = alpha · A[m, k] · B[n, k]ᵀ + beta · C — the "x · Wᵀ" product of a linear layer
    /// whose weight is stored [out, in] (GGUF / PyTorch layout).
    @inline(__always)
    public static func gemmNT(
        m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        if m == 1 {
            // One row: y[n] = W[n, k] · x[k] is a gemv (faster than a 1-row gemm in OpenBLAS).
            cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(n), Int32(k), alpha, b, Int32(ldb), a, 1, beta, c, 1)
            return
        }
        cblas_sgemm(
            CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k), alpha,
            a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// C[m, n] = alpha · A[m, k] · B[k, n] + beta · C.
    @inline(__always)
    public static func gemmNN(
        m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        cblas_sgemm(
            CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k), alpha,
            a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// C[m, n] = alpha · A[k, m]ᵀ · B[k, n] + beta · C (used by backward passes).
    @inline(__always)
    public static func gemmTN(
        m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        cblas_sgemm(
            CblasRowMajor, CblasTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k), alpha,
            a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    public static func setThreads(_ n: Int) { openblas_set_num_threads(Int32(max(1, n))) }

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
