import Foundation
import Numerics
import Testing

@Suite struct KernelTests {
    @Test func rmsNormHandComputed() {
        // x = [3, 4]: mean(x²) = 12.5, scale = 1/√12.5 = 0.28284271; w = [1, 2]
        let x: [Float] = [3, 4], w: [Float] = [1, 2]
        var y: [Float] = [0, 0]
        Kernels.rmsNorm(x, w, &y, rows: 1, n: 2, eps: 0)
        #expect(abs(y[0] - 0.84852814) < 1e-6 && abs(y[1] - 2.2627417) < 1e-6)
    }

    @Test func softmaxHandComputedAndMasked() {
        var x: [Float] = [0, log(3), -.infinity]  // e^0 : e^ln3 = 1 : 3
        Kernels.softmaxRows(&x, rows: 1, n: 3)
        #expect(abs(x[0] - 0.25) < 1e-7 && abs(x[1] - 0.75) < 1e-7 && x[2] == 0)
        var allMasked: [Float] = [-.infinity, -.infinity]
        Kernels.softmaxRows(&allMasked, rows: 1, n: 2)
        #expect(allMasked == [0, 0])
    }

    @Test func geluMatchesTanhFormula() {
        for x in stride(from: Float(-12), through: 12, by: 0.37) {
            let ref = 0.5 * Double(x) * (1 + tanh(0.7978845608028654 * (Double(x) + 0.044715 * pow(Double(x), 3))))
            #expect(abs(Double(Kernels.geluTanh(x)) - ref) <= 2e-6 * max(1, abs(ref)))
        }
        #expect(abs(Kernels.silu(1) - 0.7310586) < 1e-6)
    }

    @Test func ropeRotatesPairsAndInverts() {
        let rope = RoPE(dims: 4, base: 10_000)
        // position 1: pair (0, 2) rotates by θ0 = 1 rad, pair (1, 3) by θ1 = 10000^(-1/2) = 0.01 rad
        var v: [Float] = [1, 1, 0, 0]
        let pos = [1]
        rope.apply(&v, rows: 1, heads: 1, rowStride: 4, positions: pos)
        #expect(abs(v[0] - cos(1)) < 1e-6 && abs(v[2] - sin(1)) < 1e-6)
        #expect(abs(v[1] - cos(0.01)) < 1e-6 && abs(v[3] - sin(0.01)) < 1e-6)
        rope.applyInverse(&v, rows: 1, heads: 1, rowStride: 4, positions: pos)
        #expect(abs(v[0] - 1) < 1e-6 && abs(v[1] - 1) < 1e-6 && abs(v[2]) < 1e-6 && abs(v[3]) < 1e-6)
        // interleaved (llama GGUF) pairs (0, 1) and (2, 3)
        let norm = RoPE(dims: 4, base: 10_000, neox: false)
        var u: [Float] = [1, 0, 1, 0]
        norm.apply(&u, rows: 1, heads: 1, rowStride: 4, positions: pos)
        #expect(abs(u[0] - cos(1)) < 1e-6 && abs(u[1] - sin(1)) < 1e-6 && abs(u[3] - sin(0.01)) < 1e-6)
    }

    @Test func gemmAgainstNaiveProduct() {
        var seed: UInt64 = 7
        func r() -> Float { seed = seed &* 6364136223846793005 &+ 1; return Float(Int(seed >> 40) % 1000) / 500 - 1 }
        for (m, n, k) in [(1, 5, 7), (3, 4, 5), (17, 9, 33)] {
            let a = (0..<(m * k)).map { _ in r() }, b = (0..<(n * k)).map { _ in r() },
                bt = (0..<(k * n)).map { _ in r() }
            var c = [Float](repeating: 0, count: m * n), c2 = c
            BLAS.gemmNT(m: m, n: n, k: k, a: a, lda: k, b: b, ldb: k, c: &c, ldc: n)
            BLAS.gemmNN(m: m, n: n, k: k, a: a, lda: k, b: bt, ldb: n, c: &c2, ldc: n)
            for i in 0..<m {
                for j in 0..<n {
                    let ref = (0..<k).reduce(0.0) { $0 + Double(a[i * k + $1]) * Double(b[j * k + $1]) }
                    let ref2 = (0..<k).reduce(0.0) { $0 + Double(a[i * k + $1]) * Double(bt[$1 * n + j]) }
                    #expect(abs(Double(c[i * n + j]) - ref) < 1e-4 && abs(Double(c2[i * n + j]) - ref2) < 1e-4)
                }
            }
        }
    }

    @Test func kernelCandidatesFollowCPUFeatures() {
        #expect(BLASKernel.candidates(flags: ["sse3"]) == [])
        #expect(BLASKernel.candidates(flags: ["avx2", "fma"]) == ["HASWELL"])
        let avx512: Set<String> = ["avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"]
        #expect(BLASKernel.candidates(flags: avx512) == ["SKYLAKEX", "HASWELL"])
        #expect(BLASKernel.candidates(flags: avx512.union(["avx512_bf16"])) == ["SKYLAKEX", "COOPERLAKE", "HASWELL"])
        #expect(BLASKernel.selfCheck())
    }
}
