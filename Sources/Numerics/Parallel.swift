import CThreads

/// Parallel regions on the persistent worker pool (Sources/CThreads): `forEach(n) { i in … }` runs the body for every
/// i in 0..<n, each exactly once, on `threads` threads (the caller included), and returns when all are done — like
/// `DispatchQueue.concurrentPerform`, without its per-call wake-up (≈ 20–35 µs measured on the 2-core build machine,
/// where a decoding step runs ~200 regions). Which thread runs an index never changes what it computes; a region
/// started while another runs (from a task, or from a second thread) runs its indices on the calling thread.
public enum Parallel {
    /// Threads of every region, the caller included; set by `BLAS.setThreads`.
    public static var threads: Int { Int(lk_pool_threads()) }

    static func setThreads(_ n: Int) { lk_pool_set_threads(Int32(max(1, n))) }

    public static func forEach(_ n: Int, _ body: (Int) -> Void) {
        if n <= 0 { return }
        if n == 1 { body(0); return }
        withoutActuallyEscaping(body) { task in
            var task = task
            withUnsafeMutablePointer(to: &task) { p in
                lk_pool_run(
                    Int64(n),
                    { ctx, i in
                        ctx!.assumingMemoryBound(to: ((Int) -> Void).self).pointee(Int(i))
                    }, p)
            }
        }
    }
}
