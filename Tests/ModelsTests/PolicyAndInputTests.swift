import Foundation
import GGUF
import Models
import TestSupport
import Testing

/// Attention policies (direct sharing, uniform) and bad-input handling of the forward pass, on tiny models.
@Suite struct PolicyAndInputTests {
    static func tiny(
        _ arch: String = "qwen2", omit: Set<String> = [], edit: (inout TinyModel) -> Void = { _ in }
    ) throws -> (Transformer, URL) {
        let dir = try TestPaths.tempDir("tiny")
        var t = TinyModel(arch: arch); edit(&t)
        let path = dir.appendingPathComponent("m.gguf").path
        try t.write(to: path, omit: omit)
        return (try Transformer(gguf: GGUFFile(path: path)), dir)
    }
    let tokens = [1, 260, 45, 77, 261, 12, 3, 262, 263, 99]

    @Test func directSharingReusesPreviousLayerProbabilities() throws {
        let (m, dir) = try Self.tiny(); defer { try? FileManager.default.removeItem(at: dir) }
        let cap = FullMatrixCapture(layers: [0, 1, 2])
        let map = [3, 2, 1, 0]
        _ = try m.forward(
            tokens, cache: m.makeCache(),
            policies: AttentionPolicies([1: .directShare(headMap: nil), 2: .directShare(headMap: map)]), tap: cap)
        let p0 = cap.matrices[0]!, p1 = cap.matrices[1]!, p2 = cap.matrices[2]!
        #expect(p1 == p0)  // head for head
        for h in 0..<4 { #expect(p2[h] == p1[map[h]]) }  // chained DS with a head map
    }

    @Test func uniformAttentionIsOneOverVisibleKeys() throws {
        let (m, dir) = try Self.tiny("gemma3"); defer { try? FileManager.default.removeItem(at: dir) }
        let ids = Array(repeating: 261, count: 12)
        let cap = FullMatrixCapture(layers: [2, 5])
        _ = try m.forward(ids, cache: m.makeCache(), policies: AttentionPolicies([2: .uniform, 5: .uniform]), tap: cap)
        // layer 2 is sliding (window 8): query 11 sees keys 4…11; layer 5 is global: keys 0…11.
        let local = cap.matrices[2]![0][11], global = cap.matrices[5]![0][11]
        #expect(local == Array(repeating: 0, count: 4) + Array(repeating: 1 / 8, count: 8))
        #expect(global == Array(repeating: Float(1) / 12, count: 12))
        #expect(cap.matrices[2]![3][0] == [1] + Array(repeating: 0, count: 11))
    }

    @Test func policiesStillGenerateAndValidate() throws {
        let (m, dir) = try Self.tiny(); defer { try? FileManager.default.removeItem(at: dir) }
        let r = try m.generate(
            promptIDs: tokens, tokenizer: nil,
            options: GenerationOptions(
                maxTokens: 5, stopAtEOS: false,
                policies: AttentionPolicies([2: .uniform, 1: .directShare(headMap: nil)])))
        #expect(r.ids.count == 5)
        #expect(throws: ModelError.badPolicy(layer: 0, reason: "layer 0 has no previous layer to share from")) {
            try m.forward(tokens, cache: m.makeCache(), policies: AttentionPolicies([0: .directShare(headMap: nil)]))
        }
        #expect(throws: ModelError.self) {
            try m.forward(
                tokens, cache: m.makeCache(), policies: AttentionPolicies([1: .directShare(headMap: [0, 0, 9, 1])]))
        }
        #expect(throws: ModelError.self) {
            try m.forward(tokens, cache: m.makeCache(), policies: AttentionPolicies([7: .uniform]))
        }
    }

    @Test func promptLongerThanContextIsAnError() throws {
        let (m, dir) = try Self.tiny { $0.context = 16 }; defer { try? FileManager.default.removeItem(at: dir) }
        #expect(throws: ModelError.promptTooLong(tokens: 20, context: 16)) {
            try m.forward(Array(repeating: 5, count: 20), cache: m.makeCache())
        }
        #expect(throws: ModelError.tokenOutOfRange(id: 300, vocab: 300)) {
            try m.forward([1, 300], cache: m.makeCache())
        }
        #expect(throws: ModelError.emptyPrompt) { try m.forward([], cache: m.makeCache()) }
    }

    @Test func unsupportedArchitectureListsTheSupportedOnes() throws {
        let dir = try TestPaths.tempDir("tiny"); defer { try? FileManager.default.removeItem(at: dir) }
        var w = try TinyModel(arch: "llama").writer()
        w.metadata = w.metadata.map { $0.key == "general.architecture" ? ($0.key, .string("mamba")) : $0 }
        let path = dir.appendingPathComponent("m.gguf").path
        try w.write(to: path)
        do {
            _ = try Transformer(gguf: GGUFFile(path: path)); Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains("'mamba' is not supported (supported: llama, qwen2, gemma3)"))
            #expect("\(error)".contains(path))
        }
    }

    @Test func missingTensorIsNamed() throws {
        do {
            _ = try Self.tiny(omit: ["blk.1.ffn_up.weight"]); Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains("has no tensor 'blk.1.ffn_up.weight'"))
        }
    }

    @Test func debugFlagReportsFirstNonFiniteLayerAndOp() throws {
        let (m, dir) = try Self.tiny(); defer { try? FileManager.default.removeItem(at: dir) }
        m.weights.layers[1].wGate.materializeFloat32().pointer[3] = .nan
        m.checkFinite = true
        #expect(throws: ModelError.nonFinite(layer: 1, op: "ffn_act", position: 0)) {
            try m.forward(tokens, cache: m.makeCache())
        }
    }
}
