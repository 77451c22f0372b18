/// An element of a merge queue; `outranks` says which of two merges runs first.
protocol MergeCandidate {
    static func outranks(_ a: Self, _ b: Self) -> Bool
}

/// Binary max-heap of merge candidates (llama.cpp's std::priority_queue of bigrams).
/// A protocol instead of a closure so the compiler specializes the comparisons.
struct MergeHeap<E: MergeCandidate> {
    private(set) var items: [E] = []

    init(capacity: Int) { items.reserveCapacity(capacity) }

    mutating func push(_ e: E) {
        items.append(e)
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) >> 1
            guard E.outranks(items[i], items[parent]) else { break }
            items.swapAt(i, parent)
            i = parent
        }
    }

    mutating func pop() -> E? {
        guard let top = items.first else { return nil }
        let last = items.removeLast()
        if items.isEmpty { return top }
        items[0] = last
        var i = 0
        let n = items.count
        while true {
            let l = 2 * i + 1, r = l + 1
            var best = i
            if l < n && E.outranks(items[l], items[best]) { best = l }
            if r < n && E.outranks(items[r], items[best]) { best = r }
            if best == i { break }
            items.swapAt(i, best)
            i = best
        }
        return top
    }
}
