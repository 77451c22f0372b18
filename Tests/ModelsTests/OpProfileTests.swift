import Foundation
import GGUF
import Models
import Testing
import TestSupport

// The op profile times the one block definition from inside a real forward (issue 14, items 3 and 9).
@Suite struct OpProfileTests {
    static func model(_ arch: String, _ dir: URL) throws -> Transformer {
        let path = dir.appendingPathComponent("\(arch).gguf").path
        try TinyModel(arch: arch).write(to: path)
        return try Transformer(gguf: GGUFFile(path: path))
    }
    static let tokens = [1, 17, 250, 33, 9, 120, 77, 260, 5, 41, 199, 3]

    @Test(arguments: ["gemma3", "qwen2"])
    func profileCoversTheOpClassesAndChangesNoNumber(arch: String) throws {
        let dir = try TestPaths.tempDir("op-profile"); defer { try? FileManager.default.removeItem(at: dir) }
        let m = try Self.model(arch, dir)
        let plain = try m.forward(Self.tokens, cache: m.makeCache(), logits: .all)
        let profile = OpProfile()
        m.profile = profile
        let t0 = DispatchTime.now().uptimeNanoseconds
        let profiled = try m.forward(Self.tokens, cache: m.makeCache(), logits: .all)
        let wallMs = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6
        m.profile = nil
        #expect(profiled.values == plain.values)
        // every op class a standard forward runs, and no provider (none attached)
        #expect(Set(profile.ms.keys) == [.norms, .qkv, .attention, .outProj, .ffn, .lmHead])
        #expect(profile.ms.values.allSatisfy { $0 > 0 })
        let sum = profile.ms.values.reduce(0, +)
        #expect(sum <= wallMs, "op classes \(sum) ms within the call's \(wallMs) ms")
        let rows = profile.rows(
            model: m, calls: 1, B: 1, T: Self.tokens.count, S: Self.tokens.count, lmRows: Self.tokens.count,
            keyLayers: m.config.nLayers, wallMs: wallMs)
        #expect(rows.count == 6)
        #expect(abs(rows.reduce(0) { $0 + $1.share } - sum / wallMs) < 1e-9)
        // hand-computed FFN arithmetic: 2 · 12 rows · 3 maps · 64 · 96 per layer, over the model's layers
        let ffn = try #require(rows.first { $0.op == .ffn })
        let flops = 2.0 * 12 * 3 * 64 * 96 * Double(m.config.nLayers)
        #expect(abs(try #require(ffn.gflops) - flops / (ffn.ms / 1000) / 1e9) < 1e-6 * flops)
        // a profile records nothing more once detached
        _ = try m.forward(Self.tokens, cache: m.makeCache(), logits: .last)
        #expect(profile.ms.values.reduce(0, +) == sum)
    }

    /// Direct sharing skips a layer's Q/K maps: W_V is timed on every layer, W_Q with W_K only on layers that
    /// compute their own scores; the LM head once per call.
    @Test func directSharingLayersSkipTheirQueryAndKeyMaps() throws {
        let dir = try TestPaths.tempDir("op-profile-ds"); defer { try? FileManager.default.removeItem(at: dir) }
        let m = try Self.model("llama", dir)
        let L = m.config.nLayers
        let shared = [1, 2]
        let ds = AttentionPolicies(
            Dictionary(uniqueKeysWithValues: shared.map { ($0, AttentionPolicy.directShare(headMap: nil)) }))
        for (policies, keyLayers) in [(AttentionPolicies(), L), (ds, L - shared.count)] {
            let profile = OpProfile()
            m.profile = profile
            _ = try m.forward(Self.tokens, cache: m.makeCache(), logits: .last, policies: policies)
            m.profile = nil
            #expect(profile.calls[.qkv] == L + keyLayers)
            #expect(profile.calls[.outProj] == L)
            #expect(profile.calls[.lmHead] == 1)
            #expect(profile.calls[.provider] == nil)
        }
    }
}
