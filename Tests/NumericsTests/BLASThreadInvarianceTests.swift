import Numerics
import Testing

// Products must not depend on the thread count (Numerics/BLAS.swift): OpenBLAS's own threading changed a PIQA
// log-likelihood in its fourth decimal and, through 8-bit activation rounding, a GSM8K gold log-likelihood by
// 2 nats between --threads 1 and 2. Every wrapper, above and below the split threshold, bit for bit.
@Suite struct BLASThreadInvarianceTests {
    static func values(_ n: Int, seed: UInt32) -> [Float] {
        var x = seed
        return (0..<n).map { _ in x = x &* 1_664_525 &+ 1_013_904_223; return Float(Int32(bitPattern: x >> 8) % 2001 - 1000) / 997 }
    }

    /// C of each wrapper for (m, n, k) with `threads` workers.
    static func products(m: Int, n: Int, k: Int, threads: Int) -> [[Float]] {
        BLAS.setThreads(threads)
        let a = values(m * k, seed: 1), bNT = values(n * k, seed: 2), bNN = values(k * n, seed: 3), aT = values(k * m, seed: 4)
        var nt = [Float](repeating: 0, count: m * n), nn = nt, tn = nt
        BLAS.gemmNT(m: m, n: n, k: k, a: a, lda: k, b: bNT, ldb: k, c: &nt, ldc: n)
        BLAS.gemmNN(m: m, n: n, k: k, a: a, lda: k, b: bNN, ldb: n, c: &nn, ldc: n)
        BLAS.gemmTN(m: m, n: n, k: k, a: aT, lda: m, b: bNN, ldb: n, c: &tn, ldc: n)
        return [nt, nn, tn]
    }

    @Test(arguments: [(1, 1000, 640), (7, 1000, 640), (33, 300, 97), (2, 50, 30)])
    func productsAreTheSameWithAnyThreadCount(_ shape: (Int, Int, Int)) {
        let (m, n, k) = shape
        let one = Self.products(m: m, n: n, k: k, threads: 1)
        for t in [2, 3, 5] { #expect(Self.products(m: m, n: n, k: k, threads: t) == one, "\(t) threads, \(shape)") }
        // and they are the products: one element of each, in Double
        let a = Self.values(m * k, seed: 1), b = Self.values(n * k, seed: 2)
        let i = m - 1, j = n - 1
        let ref = (0..<k).reduce(0.0) { $0 + Double(a[i * k + $1]) * Double(b[j * k + $1]) }
        #expect(abs(Double(one[0][i * n + j]) - ref) <= 1e-4 * max(1, abs(ref)))
        BLAS.setThreads(2)
    }
}
