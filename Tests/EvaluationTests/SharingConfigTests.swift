import Basics
import Evaluation
import Foundation
import Models
import Testing
import TestSupport

@Suite struct SharingConfigTests {
    func config(_ layers: [SharingConfig.Layer], n: Int = 18) -> SharingConfig {
        SharingConfig(modelSHA256: "00", arch: "gemma3", nLayers: n, layers: layers)
    }
    func write(_ c: SharingConfig, _ name: String) throws -> String {
        let p = try TestPaths.tempDir("sharing").appendingPathComponent(name).path
        try c.write(to: p)
        return p
    }

    @Test func validConfigRoundTripsAndGivesDSPolicies() throws {
        let c = config([
            .init(index: 5, mode: .ds, source: 4, reason: "r"), .init(index: 6, mode: .lisa, source: 5, reason: "r"),
            .init(index: 7, mode: .standard, source: nil, reason: "r"),
        ])
        let p = try write(c, "ok.json")
        let back = try SharingConfig.load(path: p)
        #expect(back == c)
        #expect(back.policies.byLayer == [5: .directShare(headMap: nil), 6: .directShare(headMap: nil)])
    }

    @Test func layerOutsideTheModelIsRejected() throws {
        let p = try write(config([.init(index: 18, mode: .ds, source: 17, reason: "")]), "outside.json")
        #expect(
            throws: ModelError.badSharingConfig(
                path: p, reason: "layer 18 lies outside the model's layers 0..<18 (0-based)")
        ) {
            try SharingConfig.load(path: p)
        }
    }

    @Test func sharingLayerZeroIsRejected() throws {
        let p = try write(config([.init(index: 0, mode: .ds, source: 0, reason: "")]), "zero.json")
        #expect(throws: ModelError.badSharingConfig(path: p, reason: "layer 0 cannot share: it has no front layer")) {
            try SharingConfig.load(path: p)
        }
    }

    @Test func pointingAtALaterLayerIsRejected() throws {
        let p = try write(config([.init(index: 4, mode: .lisa, source: 9, reason: "")]), "later.json")
        #expect(
            throws: ModelError.badSharingConfig(
                path: p, reason: "layer 4 points at layer 9, which is not an earlier layer")
        ) {
            try SharingConfig.load(path: p)
        }
        let q = try write(config([.init(index: 4, mode: .ds, source: 2, reason: "")]), "skip.json")
        #expect(throws: ModelError.self) { try SharingConfig.load(path: q) }
    }

    @Test func wrongModelHashIsRejected() throws {
        let p = try write(config([]), "hash.json")
        let model = try TestPaths.tempDir("sharing").appendingPathComponent("abc.bin")
        try Data("abc".utf8).write(to: model)
        #expect(
            throws: ModelError.badSharingConfig(
                path: p,
                reason: "it was made for a model with SHA-256 00, but \(model.path) has "
                    + "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        ) {
            try SharingConfig.load(path: p, modelPath: model.path)
        }
    }

    @Test func sha256KnownVectors() {
        // FIPS 180-4 examples.
        #expect(SHA256.hex(Data()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(Data("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(
            SHA256.hex(Data("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }
}

@Suite struct RecommenderTests {
    /// An 18-layer sweep with baseline 0.6: pairs 3–4 … 17–18 with the given DS scores.
    func sweep(_ ds: [Double]) -> SensitivityResult {
        let pairs = zip(LayerPair.sweep(nLayers: 18), ds).map {
            PairScore(pair: $0, ds: $1, dsStandardError: 0, uniform: 0.5, uniformStandardError: 0)
        }
        return SensitivityResult(
            task: "piqa", metric: "acc_norm", shots: 0, n: 100, seed: 1, nLayers: 18, baseline: 0.6,
            baselineStandardError: 0, pairs: pairs, seconds: 0)
    }

    @Test func pairsAreTheFigureSixPairs() {
        #expect(
            LayerPair.sweep(nLayers: 18).map(\.label) == [
                "3–4", "5–6", "7–8", "9–10", "11–12", "13–14", "15–16", "17–18",
            ])
        #expect(LayerPair.sweep(nLayers: 28).count == 13)
    }

    @Test func deepestRobustRunThenRhythm() throws {
        // Robust (≥ 0.54) from pair 11–12 on; layer 17 (0-based, the last) is excluded.
        let s = sweep([0.3, 0.4, 0.45, 0.5, 0.56, 0.58, 0.59, 0.6])
        let c = Recommender(target: 8).recommend(
            s, isSliding: Array(repeating: false, count: 18), modelSHA256: "x", arch: "llama")
        // Run: 16 … 10 (7 layers); then the rhythm below: 9 gap, 8 and 7 slots, 6 gap, …; the most robust slot
        // is 8 (pair 9–10, 0.5/0.6) over 7 (pair 7–8, 0.45/0.6).
        #expect(c.shared.map(\.index) == [8, 10, 11, 12, 13, 14, 15, 16])
        #expect(c.layers[9].reason.contains("rhythm gap"))
        #expect(c.layers[17].mode == .standard && c.layers[0].mode == .standard && c.layers[1].mode == .standard)
        try c.validate(path: "test")
        // The ranking sorts by DS then uniform then deeper.
        #expect(robustnessRanking(s.pairs).first?.pair.label == "17–18")
    }

    @Test func typeChangesAreFlaggedOrSkipped() {
        var sliding = Array(repeating: true, count: 18)
        for g in [5, 11, 17] { sliding[g] = false }  // Gemma 3: every sixth layer global (0-based 5, 11, 17)
        let s = sweep(Array(repeating: 0.6, count: 8))
        let flagged = Recommender(target: 4).recommend(s, isSliding: sliding, modelSHA256: "x", arch: "gemma3")
        #expect(flagged.shared.map(\.index) == [13, 14, 15, 16])
        let all = Recommender(target: 12).recommend(s, isSliding: sliding, modelSHA256: "x", arch: "gemma3")
        #expect(all.layers[12].mode == .ds && all.layers[12].reason.contains("flag"))
        let skipped = Recommender(target: 12, skipTypeChanges: true).recommend(
            s, isSliding: sliding, modelSHA256: "x", arch: "gemma3")
        #expect(
            skipped.layers[12].mode == .standard && skipped.layers[11].mode == .standard
                && skipped.layers[6].mode == .standard)
    }
}
