import Foundation
import Models

/// FIGURES.md Table 1's recommender, our formalisation of §5.1:
/// 1. exclude the first two and the last layer (and any layer in `excluded`, e.g. adjacent S1 JSD > 0.1);
/// 2. give each remaining layer its pair's DS robustness (score / baseline, from a sensitivity sweep);
/// 3. take the deepest run of robust (≥ `threshold`) layers;
/// 4. fill shallower in a "2 shared, 1 standard" rhythm, most robust slots first, up to `target` layers;
/// 5. flag (or with `skipTypeChanges`, skip) layers whose sliding/global type differs from the front layer's.
public struct Recommender: Sendable {
    public var target: Int
    public var threshold: Double = 0.9
    public var excluded: Set<Int> = []
    public var skipTypeChanges = false
    /// `jsdToFront[l]` = adjacent JSD between layer l−1 and layer l (Fig 3, S1 or S2, nats; index 0 unused).
    /// Rule 1: a layer whose value exceeds `jsdThreshold` is excluded (FIGURES.md Table 1, default 0.1).
    public var jsdToFront: [Double]?
    public var jsdThreshold = 0.1
    /// Names the source of `jsdToFront` in the reasons, e.g. "S1 (fig3, gsm8k)".
    public var jsdSource = "S1"

    public init(
        target: Int, threshold: Double = 0.9, excluded: Set<Int> = [], skipTypeChanges: Bool = false,
        jsdToFront: [Double]? = nil, jsdThreshold: Double = 0.1, jsdSource: String = "S1"
    ) {
        self.target = target; self.threshold = threshold; self.excluded = excluded;
        self.skipTypeChanges = skipTypeChanges
        self.jsdToFront = jsdToFront; self.jsdThreshold = jsdThreshold; self.jsdSource = jsdSource
    }

    /// Table 1's targets as layer counts: round(fraction × L) (Gemma 18 layers: 0.53 → 10, 0.65 → 12, 0.84 → 15).
    public static func layers(forFraction f: Double, nLayers: Int) -> Int { Int((f * Double(nLayers)).rounded()) }

    /// `adjacent[k]` = JSD(layer k, layer k+1) (S1Result.adjacent) → per-layer JSD to the front layer.
    public static func jsdToFront(adjacent: [Double]) -> [Double] { [.nan] + adjacent }

    /// `isSliding[l]`: Gemma's per-layer attention type (all false for other architectures).
    public func recommend(_ s: SensitivityResult, isSliding: [Bool], modelSHA256: String, arch: String) -> SharingConfig
    {
        let L = s.nLayers
        var robustness: [Int: Double] = [:]
        for p in s.pairs { for l in p.pair.layers { robustness[l] = s.baseline > 0 ? p.ds / s.baseline : 0 } }
        func typeChange(_ l: Int) -> Bool { l > 0 && l < isSliding.count && isSliding[l] != isSliding[l - 1] }
        var why: [Int: String] = [:]
        var eligible: [Int] = []
        for l in 0..<L {
            if l < 2 {
                why[l] = "excluded: one of the first two layers (rule 1)"
            } else if l == L - 1 {
                why[l] = "excluded: the last layer (rule 1)"
            } else if excluded.contains(l) {
                why[l] = "excluded by the caller (rule 1, e.g. adjacent S1 JSD > 0.1)"
            } else if let j = jsdToFront, l < j.count, j[l] > jsdThreshold {
                why[l] = String(
                    format: "excluded: %@ JSD to layer %d is %.3f > %.2f nats (rule 1)", jsdSource, l - 1, j[l],
                    jsdThreshold)
            } else if robustness[l] == nil {
                why[l] = "excluded: no sensitivity score for its pair"
            } else if skipTypeChanges && typeChange(l) {
                why[l] = "skipped: attention type differs from layer \(l - 1) (rule 5)"
            } else {
                eligible.append(l)
            }
        }
        let eligibleSet = Set(eligible)
        func pct(_ l: Int) -> String { String(format: "%.1f %%", 100 * (robustness[l] ?? 0)) }
        func pairLabel(_ l: Int) -> String { s.pairs.first { $0.pair.layers.contains(l) }?.pair.label ?? "?" }

        // Rule 3: the deepest consecutive run of robust layers.
        var chosen: [Int] = []
        var l = eligible.max() ?? -1
        while l >= 0, eligibleSet.contains(l), (robustness[l] ?? 0) >= threshold, chosen.count < target {
            chosen.append(l)
            why[l] = "DS: pair \(pairLabel(l)) (1-based) keeps \(pct(l)) of the baseline; deepest robust run (rule 3)"
            l -= 1
        }
        // Rule 4: slots below the run in the rhythm gap, shared, shared, gap, … (no leading gap without a run).
        let runStart = chosen.min() ?? ((eligible.max() ?? 0) + 1)
        var slots: [Int] = []
        var phase = chosen.isEmpty ? 1 : 0
        for m in stride(from: runStart - 1, through: 0, by: -1) {
            defer { phase += 1 }
            guard eligibleSet.contains(m) else { continue }
            if phase % 3 == 0 {
                why[m] = "standard: rhythm gap (2 shared, 1 standard, rule 4)"
            } else {
                slots.append(m)
            }
        }
        for m in slots.sorted(by: { (robustness[$0]!, $0) > (robustness[$1]!, $1) }) {
            if chosen.count >= target { why[m] = "standard: target of \(target) layers reached"; continue }
            chosen.append(m)
            why[m] = "DS: rhythm fill (rule 4), pair \(pairLabel(m)) (1-based) keeps \(pct(m)) of the baseline"
        }
        let set = Set(chosen)
        let layers = (0..<L).map { i -> SharingConfig.Layer in
            var reason = why[i] ?? "standard"
            if set.contains(i), typeChange(i) {
                reason +=
                    "; flag: attention type differs from layer \(i - 1) (sliding vs global), DS shares P across it "
                    + "(C6, rule 5)"
            }
            if !set.contains(i), why[i] == nil { reason = "standard: not robust enough or not reached" }
            return SharingConfig.Layer(
                index: i, mode: set.contains(i) ? .ds : .standard, source: set.contains(i) ? i - 1 : nil, reason: reason
            )
        }
        return SharingConfig(modelSHA256: modelSHA256, arch: arch, nLayers: L, layers: layers)
    }
}

extension SharingConfig {
    /// Each layer's attention source, LCKV style ("0,1,2,2,2,5,…", 0-based): a standard layer is its own
    /// source; a DS/LiSA layer uses its front layer's effective matrix, so chains resolve to the first
    /// standard layer before them (C6).
    public var layerString: String {
        var src = Array(0..<nLayers)
        let mode = Dictionary(uniqueKeysWithValues: layers.map { ($0.index, $0.mode) })
        for l in 0..<nLayers where (mode[l] ?? .standard) != .standard && l > 0 { src[l] = src[l - 1] }
        return src.map(String.init).joined(separator: ",")
    }

    /// Table 1's column: shared layers 1-based with runs compressed, e.g. "DS (10): 5, 6, 9–16 (55.56 %)".
    public var table1Entry: String {
        let one = shared.map { $0.index + 1 }.sorted()
        var parts: [String] = []
        var i = 0
        while i < one.count {
            var j = i
            while j + 1 < one.count, one[j + 1] == one[j] + 1 { j += 1 }
            parts.append(j - i >= 2 ? "\(one[i])–\(one[j])" : (i...j).map { String(one[$0]) }.joined(separator: ", "))
            i = j + 1
        }
        let mech = Set(shared.map(\.mode)) == [.lisa] ? "LiSA" : "DS"
        return "\(mech) (\(one.count)): " + parts.joined(separator: ", ")
            + String(format: " (%.2f %%)", 100 * Double(one.count) / Double(max(nLayers, 1)))
    }
}
