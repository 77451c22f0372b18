import GGUF
import Testing
import TestSupport

/// GGUFSummary is what `lisa inspect` prints; checked against the values of the real files.
@Suite struct SummaryTests {
    @Test(.needsGemma) func gemma() throws {
        let s = GGUFSummary(try GGUFFile(path: TestPaths.gemma))
        #expect(s.version == 3)
        #expect(s.architecture == "gemma3")
        #expect(s.blockCount == 18)
        #expect(s.alignment == 32)
        #expect(s.tensors.count == 236)
        #expect(s.parameterCount == 268_098_176)
        #expect(s.tensorBytes == 246_587_904)
        #expect(s.byType.map(\.type) == ["F32", "Q4_K", "Q5_0", "Q6_K", "Q8_0"])
        #expect(s.byType.map(\.tensors) == [109, 27, 81, 9, 10])
        let embd = try #require(s.tensors.first { $0.name == "token_embd.weight" })
        #expect(embd.shape == [262_144, 640] && embd.ggmlDims == [640, 262_144] && embd.type == "Q8_0")
        #expect(embd.bytes == 262_144 * 640 / 32 * 34)
        #expect(
            s.tokenizer
                == .init(
                    model: "llama", pre: "default", vocabSize: 262_144, bosId: 2, eosId: 1, padId: 0, addBosToken: true)
        )
        #expect(s.hyperParameters.first { $0.key == "gemma3.attention.sliding_window" }?.value == "512")
        #expect(
            s.hyperParameters.first { $0.key == "general.tags" }?.value
                == #"[4 × string] ["gemma3", "gemma", "google", "text-generation"]"#)
        #expect(s.hyperParameters.allSatisfy { $0.key.hasPrefix("general.") || $0.key.hasPrefix("gemma3.") })
    }

    @Test(.needsQwen) func qwen() throws {
        let s = GGUFSummary(try GGUFFile(path: TestPaths.qwen))
        #expect(s.architecture == "qwen2")
        #expect(s.blockCount == 28)
        #expect(s.tensors.count == 339)
        #expect(
            s.tokenizer
                == .init(
                    model: "gpt2", pre: "qwen2", vocabSize: 151_936, bosId: 151_643, eosId: 151_645,
                    padId: 151_643, addBosToken: false))
        #expect(s.byType.map(\.tensors) == [141, 169, 29])
    }

    @Test func longValuesAreShortened() {
        let long = GGUFSummary.short(.string(String(repeating: "x", count: 500)))
        #expect(long.count == 80 && long.hasSuffix("…"))
        #expect(
            GGUFSummary.short(.array(.int32, (0..<10).map { .int32(Int32($0)) })) == "[10 × int32] [0, 1, 2, 3, 4, …]")
    }
}
