import Dispatch
import Foundation
import Numerics
import Synchronization
import Testing

// The worker pool (Sources/CThreads): every index runs exactly once, a region started inside a task or from a second
// thread completes (on the calling thread), and thousands of short regions in a row neither lose nor repeat a task.
@Suite struct ParallelPoolTests {
    /// Per-index run counts of one region of n indices.
    static func counts(_ n: Int) -> [Int] {
        let slots = UnsafeMutablePointer<Atomic<Int>>.allocate(capacity: max(n, 1))  // [n] times index i ran
        for i in 0..<n { (slots + i).initialize(to: Atomic(0)) }
        defer { slots.deallocate() }
        Parallel.forEach(n) { i in _ = slots[i].add(1, ordering: .relaxed) }
        return (0..<n).map { slots[$0].load(ordering: .relaxed) }
    }

    @Test(arguments: [1, 2, 3, 8])
    func everyIndexRunsOnce(threads: Int) {
        BLAS.setThreads(threads)
        defer { BLAS.setThreads(2) }
        #expect(Parallel.threads >= 1 && Parallel.threads <= threads)
        for n in [0, 1, 2, 3, 7, 64, 1000] {
            #expect(Self.counts(n) == [Int](repeating: 1, count: n), "n \(n), \(threads) threads")
        }
    }

    @Test func nestedRegionsRunInline() {
        BLAS.setThreads(2)
        let total = Atomic<Int>(0)
        Parallel.forEach(4) { i in
            Parallel.forEach(10) { j in _ = total.add(i * 10 + j, ordering: .relaxed) }
        }
        #expect(total.load(ordering: .relaxed) == (0..<40).reduce(0, +))
    }

    @Test func concurrentCallersAllComplete() {
        BLAS.setThreads(2)
        let sums = UnsafeMutablePointer<Atomic<Int>>.allocate(capacity: 6)  // [6] one sum per caller
        for c in 0..<6 { (sums + c).initialize(to: Atomic(0)) }
        defer { sums.deallocate() }
        DispatchQueue.concurrentPerform(iterations: 6) { c in
            for _ in 0..<200 { Parallel.forEach(17) { i in _ = sums[c].add(i + 1, ordering: .relaxed) } }
        }
        for c in 0..<6 { #expect(sums[c].load(ordering: .relaxed) == 200 * (17 * 18 / 2), "caller \(c)") }
    }

    @Test func manyShortRegionsLoseNothing() {
        BLAS.setThreads(2)
        let total = Atomic<Int>(0)
        for r in 0..<20_000 { Parallel.forEach(2 + r % 5) { _ in _ = total.add(1, ordering: .relaxed) } }
        #expect(total.load(ordering: .relaxed) == (0..<20_000).reduce(0) { $0 + 2 + $1 % 5 })
    }
}
