/// Keeps the attention probability row of the last query of a forward call, every layer and head.
/// rows[l][h]: [kLen] — the paper's last-token analysis input (Section 3.1).
public final class LastRowCapture: AttentionTap {
    public private(set) var rows: [[[Float]]]
    /// Also keep the pre-softmax scores of that row (needed by LiSA distillation and Fig. 12).
    public let keepScores: Bool
    public private(set) var scoreRows: [[[Float]]]

    public init(layers: Int, keepScores: Bool = false) {
        rows = Array(repeating: [], count: layers)
        scoreRows = Array(repeating: [], count: layers)
        self.keepScores = keepScores
    }

    public func attention(_ e: AttentionEvent) {
        rows[e.layer] = (0..<e.heads).map { Array(e.probRow(head: $0, query: e.qLen - 1)) }
        if keepScores { scoreRows[e.layer] = (0..<e.heads).map { Array(e.scoreRow(head: $0, query: e.qLen - 1)) } }
    }
}

/// Keeps full probability matrices for chosen layers: matrices[l]: [heads][q][k] for this call.
public final class FullMatrixCapture: AttentionTap {
    public let layers: Set<Int>
    public private(set) var matrices: [Int: [[[Float]]]] = [:]
    public init(layers: Set<Int>) { self.layers = layers }

    public func attention(_ e: AttentionEvent) {
        guard layers.contains(e.layer) else { return }
        matrices[e.layer] = (0..<e.heads).map { h in (0..<e.qLen).map { Array(e.probRow(head: h, query: $0)) } }
    }
}

/// Keeps the probability rows of the token generated at decoding step N (1-based: step 1 is the
/// first forward call after the prompt), every layer and head — Table 11 uses N = 1024.
public final class StepRowCapture: AttentionTap {
    public let step: Int
    public let promptLength: Int
    public private(set) var rows: [[[Float]]]
    public var captured: Bool { rows.allSatisfy { !$0.isEmpty } }

    public init(layers: Int, promptLength: Int, step: Int) {
        self.step = step; self.promptLength = promptLength
        rows = Array(repeating: [], count: layers)
    }

    public func attention(_ e: AttentionEvent) {
        // Decoding step N feeds the token at absolute position promptLength + N − 1.
        let target = promptLength + step - 1
        guard e.qStart <= target, target < e.qStart + e.qLen else { return }
        rows[e.layer] = (0..<e.heads).map { Array(e.probRow(head: $0, query: target - e.qStart)) }
    }
}

/// Fans one forward pass out to several taps.
public final class TapGroup: AttentionTap {
    public let taps: [AttentionTap]
    public init(_ taps: [AttentionTap]) { self.taps = taps }
    public var wantsSubmodules: Bool { taps.contains { $0.wantsSubmodules } }
    public func attention(_ e: AttentionEvent) { taps.forEach { $0.attention(e) } }
    public func submodules(_ e: SubmoduleEvent) { taps.forEach { if $0.wantsSubmodules { $0.submodules(e) } } }
}
