import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Chooses OpenBLAS's kernel family before any real work (../shared/docs/PERFORMANCE.md).
///
/// Debian's OpenBLAS 0.3.21 does not know some recent CPUs and falls back to its SSE3 "Prescott"
/// kernels, 5–7× slower than the AVX2/AVX-512 ones. OPENBLAS_CORETYPE is read when the library
/// loads, so the only way to change it is to re-execute the program with the variable set. Each
/// candidate is verified in the re-executed process by a small sgemm against a naive Double product;
/// a candidate that fails hands over to the next, and the last resort is the detected kernel.
public enum BLASKernel {
    static let probeVar = "LISA_BLAS_PROBE"
    static let remainingVar = "LISA_BLAS_REMAINING"
    static let detectedVar = "LISA_BLAS_DETECTED"
    /// Kernel names OpenBLAS reports when it did not recognise the CPU.
    static let genericCores: Set<String> = [
        "Prescott", "Core2", "Katmai", "Coppermine", "Northwood", "Banias", "Atom", "Penryn", "Dunnington",
    ]

    /// Call first thing in main(). May replace the process (execv) and never return in that case.
    public static func selectOrReexec() {
        let env = ProcessInfo.processInfo.environment
        if env[probeVar] != nil {
            if selfCheck() { unsetenv(probeVar); unsetenv(remainingVar); unsetenv(detectedVar); return }
            let remaining = (env[remainingVar] ?? "").split(separator: ",").map(String.init)
            if let next = remaining.first {
                reexec(
                    core: next, remaining: Array(remaining.dropFirst()), detected: env[detectedVar] ?? "", probe: true)
            } else {
                reexec(core: env[detectedVar] ?? "PRESCOTT", remaining: [], detected: "", probe: false)
            }
            return
        }
        if env["OPENBLAS_CORETYPE"] != nil || env["LISA_NO_BLAS_REEXEC"] != nil { return }
        let detected = BLAS.coreName
        guard genericCores.contains(detected) else { return }
        let cands = candidates(flags: cpuFlags())
        guard let first = cands.first else { return }
        reexec(core: first, remaining: Array(cands.dropFirst()), detected: detected.uppercased(), probe: true)
    }

    /// Kernel families this CPU can run, fastest first.
    public static func candidates(flags: Set<String>) -> [String] {
        var out: [String] = []
        if flags.isSuperset(of: ["avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"]) {
            out.append("SKYLAKEX")
            if flags.contains("avx512_bf16") { out.append("COOPERLAKE") }
        }
        if flags.isSuperset(of: ["avx2", "fma"]) { out.append("HASWELL") }
        return out
    }

    public static func cpuFlags() -> Set<String> {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
            let colon = line.firstIndex(of: ":")
        else { return [] }
        return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
    }

    static func reexec(core: String, remaining: [String], detected: String, probe: Bool) {
        setenv("OPENBLAS_CORETYPE", core, 1)
        if probe {
            setenv(probeVar, "1", 1)
            setenv(remainingVar, remaining.joined(separator: ","), 1)
            setenv(detectedVar, detected, 1)
        } else {
            unsetenv(probeVar); unsetenv(remainingVar); unsetenv(detectedVar)
        }
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // execv returned: it failed; carry on with whatever kernel is loaded.
    }

    /// sgemm on a few odd shapes and all transpose cases against a naive Double product.
    public static func selfCheck() -> Bool {
        var rng = UInt64(0x5EED)
        func rand() -> Float {
            rng = rng &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: rng >> 11) % 2000 - 1000) / 1000
        }
        for (m, n, k) in [(37, 29, 53), (1, 64, 33), (65, 17, 128)] {
            let a = (0..<(m * k)).map { _ in rand() }  // [m, k]
            let b = (0..<(n * k)).map { _ in rand() }  // [n, k]
            var c = [Float](repeating: 0, count: m * n)  // [m, n]
            a.withUnsafeBufferPointer { ap in
                b.withUnsafeBufferPointer { bp in
                    c.withUnsafeMutableBufferPointer { cp in
                        BLAS.gemmNT(
                            m: m, n: n, k: k, a: ap.baseAddress!, lda: k, b: bp.baseAddress!, ldb: k,
                            c: cp.baseAddress!, ldc: n)
                    }
                }
            }
            for i in 0..<m {
                for j in 0..<n {
                    var ref = 0.0
                    for t in 0..<k { ref += Double(a[i * k + t]) * Double(b[j * k + t]) }
                    if abs(Double(c[i * n + j]) - ref) > 1e-4 * Double(k).squareRoot() { return false }
                }
            }
        }
        return true
    }
}
