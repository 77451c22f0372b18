import Basics
import Analysis
import Datasets
import Foundation
import Store

/// Computes a study's analyses from the rows stored for a run, and stores the results (FIGURES.md C5).
struct StudyAnalyses {
    let store: LisaStore
    let runId: Int64
    let spec: StudySpec
    /// Token id → piece (Table 11 labels); nil when no tokenizer is at hand.
    let piece: ((Int) -> String)?

    /// `only`: recompute just these analyses (`lisa report` upgrading results stored before issue 17).
    func run(only: Set<StudyAnalysis>? = nil) throws {
        for (di, task) in try spec.tasks().enumerated() {
            let captured = try store.capturedRows(runId: runId, task: task.rawValue)
            guard !captured.isEmpty else { continue }
            let probs = captured.map { lastRows($0.rows) }
            let key = task.rawValue
            func put<T: Encodable>(_ kind: ResultKind, _ v: T) throws {
                try store.putResult(v, kind: kind, runId: runId, task: key)
            }
            let meanTokens = Double(captured.map(\.sample.nTokens).reduce(0, +)) / Double(captured.count)
            for a in spec.analyses where only?.contains(a) ?? true {
                switch a {
                case .s1: try put(.s1, s1(try probs.map(s1Matrix), meanTokens))
                case .s1ExclFirst: try put(.s1ExclFirst, s1(try probs.map(s1MatrixExcludingFirst), meanTokens))
                case .s2: try put(.s2, try s2(probs, seed: spec.seed &+ UInt64(di)))
                case .twoSentence:
                    if let r = try twoSentence(probs, seed: spec.seed &+ UInt64(di)) { try put(.twoSentence, r) }
                case .topK:
                    try put(.topK, topK(captured[0].sample.ids, probs[0], recordIndex: captured[0].sample.recordIndex))
                case .distributions:
                    try put(.distributions, try distributions(probs[0], recordIndex: captured[0].sample.recordIndex))
                case .submoduleCosine: if let r = try cosine(task: key) { try put(.cosine, r) }
                }
            }
        }
    }

    /// The analyses whose stored results lack the per-sample values standard errors need (results written
    /// before issue 17); `lisa report` recomputes them from the stored rows (no tokenizer needed).
    func outdated() throws -> Set<StudyAnalysis> {
        var out: Set<StudyAnalysis> = []
        for task in try spec.tasks().map(\.rawValue) {
            func get<T: Decodable>(_ t: T.Type, _ kind: ResultKind) throws -> T? {
                try store.result(t, kind: kind, runId: runId, task: task)
            }
            if let r = try get(S1Result.self, .s1), r.perSampleAdjacent == nil { out.insert(.s1) }
            if let r = try get(S1Result.self, .s1ExclFirst), r.perSampleAdjacent == nil { out.insert(.s1ExclFirst) }
            if let r = try get(S2Result.self, .s2), r.perSample == nil { out.insert(.s2) }
            if let r = try get(TwoSentenceResult.self, .twoSentence), r.perPairAdjacent == nil {
                out.insert(.twoSentence)
            }
            if let r = try get(CosineResult.self, .cosine), r.se == nil { out.insert(.submoduleCosine) }
        }
        return out
    }

    /// Fig 5a: the per-sample cosines stored at capture, averaged over samples.
    private func cosine(task: String) throws -> CosineResult? {
        let perSample = try store.results(runId: runId).filter {
            $0.task == task && $0.resultKind == .cosine && $0.sampleId != 0
        }
        .map { try ResultJSON.decode([String: [Double]].self, $0.value) }
        guard let first = perSample.first else { return nil }
        var curves: [String: [Double]] = [:], se: [String: [Double]] = [:]
        for name in first.keys {
            let v = perSample.map { $0[name] ?? [] }
            curves[name] = try meanVector(v)
            se[name] = (0..<(curves[name]?.count ?? 0)).map { k in
                standardErrorOfMean(v.map { $0[k] }.filter(\.isFinite))
            }
        }
        return CosineResult(samples: perSample.count, curves: curves, se: se)
    }

    private func s1(_ matrices: [[[Double]]], _ meanTokens: Double) throws -> S1Result {
        let m = try meanMatrix(matrices)
        let adj = adjacentPairs(m)
        let se = m.indices.map { a in m[a].indices.map { b in standardErrorOfMean(matrices.map { $0[a][b] }) } }
        return S1Result(
            samples: matrices.count, meanTokens: meanTokens, matrix: m, adjacent: adj,
            adjacentMean: mean(adj), offDiagonalMean: offDiagonalMean(m),
            perSampleAdjacent: matrices.map(adjacentPairs), perSampleOffDiagonal: matrices.map(offDiagonalMean),
            matrixSE: se)
    }

    /// S2 per adjacent pair (n−1, n), averaged over samples then heads (FIGURES.md C5).
    private func s2(_ probs: [LastRows], seed: UInt64) throws -> S2Result {
        var curves: [String: [Double]] = [:], perHead: [String: [[Double]]] = [:],
            perSampleMean: [String: [[Double]]] = [:]
        for scheme in S2Scheme.allCases {
            let perSample = try probs.map { try s2Adjacent($0, scheme: scheme).map(\.perHead) }  // [s][pair][head]
            let ph = try (0..<perSample[0].count).map { k in try meanVector(perSample.map { $0[k] }) }
            perHead[scheme.rawValue] = ph
            curves[scheme.rawValue] = ph.map(mean)
            perSampleMean[scheme.rawValue] = perSample.map { $0.map(mean) }
        }
        var rng = SeededGenerator(seed: seed)
        let single = try probs.map { try s2AdjacentRandomPair($0, repetitions: 1, using: &rng).map(\.perHead) }
        let singlePH = try (0..<single[0].count).map { k in try meanVector(single.map { $0[k] }) }
        perHead["randomSingleDraw"] = singlePH
        curves["randomSingleDraw"] = singlePH.map(mean)
        perSampleMean["randomSingleDraw"] = single.map { $0.map(mean) }
        let layers = probs[0].count
        var staticMap: [[Int]] = [], staticPH: [[Double]] = []
        var staticPerSample = [[Double]](repeating: [], count: probs.count)  // [s][pair]
        for n in 1..<layers {
            let d = probs.map { headJSDMatrix(current: $0[n], previous: $0[n - 1]) }
            let a = try staticSimilarityMap(d)
            staticMap.append(a.match ?? []); staticPH.append(a.perHead)
            // each sample's JSD under the one fixed map (the map itself is fitted on all samples)
            for s in d.indices {
                staticPerSample[s].append(mean((a.match ?? []).enumerated().map { d[s][$0.offset][$0.element] }))
            }
        }
        curves["static"] = staticPH.map(mean)
        perSampleMean["static"] = staticPerSample
        return S2Result(
            samples: probs.count, curves: curves, perHead: perHead, staticMap: staticMap, staticPerHead: staticPH,
            perSample: perSampleMean)
    }

    /// Fig 4a: pairs of distinct samples with identical token counts (bucket by length, seeded shuffle,
    /// consecutive pairs, at most 100; buckets of one are skipped). Nil when no bucket has two samples.
    private func twoSentence(_ probs: [LastRows], seed: UInt64) throws -> TwoSentenceResult? {
        var buckets: [Int: [Int]] = [:]
        for (i, p) in probs.enumerated() { buckets[p[0][0].count, default: []].append(i) }
        var rng = SeededGenerator(seed: seed ^ 0x2545F4914F6CDD1D)
        var pairs: [(Int, Int)] = []
        for len in buckets.keys.sorted() {
            var b = buckets[len]!
            b.shuffle(using: &rng)
            var k = 0
            while k + 1 < b.count && pairs.count < 100 { pairs.append((b[k], b[k + 1])); k += 2 }
        }
        guard !pairs.isEmpty else { return nil }
        let ms = try pairs.map { try twoSentenceMatrix(probs[$0.0], probs[$0.1]) }
        return TwoSentenceResult(
            pairs: pairs.count, matrix: try meanMatrix(ms), perPairAdjacent: ms.map(adjacentPairs),
            perPairDiagonal: ms.map { m in m.indices.map { m[$0][$0] } })
    }

    /// Table 11: the five keys with the highest head-averaged weight per layer (ties → lower index).
    private func topK(_ ids: [Int], _ probs: LastRows, recordIndex: Int) -> TopKResult {
        let layers = probs.map { layer -> [TopEntry] in
            let m = headMean(layer)
            return topAttended(m, k: 5).map { k in
                TopEntry(index: k, weight: m[k], piece: piece.map { $0(ids[k]) } ?? "#\(ids[k])")
            }
        }
        return TopKResult(recordIndex: recordIndex, nTokens: ids.count, layers: layers)
    }

    /// Fig 12: for each target JSD, the layer pair of this sample whose S1 JSD is nearest.
    private func distributions(_ probs: LastRows, recordIndex: Int) throws -> DistributionsResult {
        let m = try s1Matrix(probs)
        let pairs = [0.02, 0.05, 0.1, 0.2, 0.4].compactMap { t -> DistributionPair? in
            guard let p = nearestPair(m, target: t) else { return nil }
            return DistributionPair(
                target: t, a: p.a, b: p.b, jsd: p.jsd, pa: headMean(probs[p.a]), pb: headMean(probs[p.b]))
        }
        return DistributionsResult(recordIndex: recordIndex, pairs: pairs)
    }
}
