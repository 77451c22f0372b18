import Foundation
import TestSupport
import Testing
import Tokenizers

@Suite struct TokenizerUnitTests {
    @Test(.needsGemma) func emptyTextIsJustBOS() throws {
        let gemma = try Loaded.gemma.get()
        #expect(gemma.encode("") == [2])
        #expect(gemma.encode("", addBOS: false, parseSpecial: true) == [])
        #expect(gemma.decode([]) == "")
    }

    @Test(.needsQwen) func qwenEmptyTextHasNoBOSUnlessAsked() throws {
        let qwen = try Loaded.qwen.get()
        #expect(qwen.encode("") == [])
        #expect(qwen.encode("", addBOS: true, parseSpecial: true) == [151643])
    }

    @Test(.needsGemma) func gemmaMetadata() throws {
        let gemma = try Loaded.gemma.get()
        #expect(gemma.vocabSize == 262_144)
        #expect(gemma.bosID == 2 && gemma.eosID == 1 && gemma.addBOSByDefault)
        #expect(gemma.isEndOfGeneration(1) && gemma.isEndOfGeneration(106))  // <eos>, <end_of_turn>
        #expect(!gemma.isEndOfGeneration(105) && !gemma.isEndOfGeneration(2))
        #expect(gemma.piece(105) == "<start_of_turn>")
        #expect(gemma.piece(9259) == "Hello" && gemma.piece(1902) == " world")
    }

    @Test(.needsQwen) func qwenMetadata() throws {
        let qwen = try Loaded.qwen.get()
        #expect(qwen.vocabSize == 151_936)
        #expect(qwen.bosID == 151_643 && qwen.eosID == 151_645 && !qwen.addBOSByDefault)
        #expect(qwen.isEndOfGeneration(151_645) && qwen.isEndOfGeneration(151_643))  // <|im_end|>, <|endoftext|>
        #expect(!qwen.isEndOfGeneration(151_644))
        #expect(qwen.piece(151_644) == "<|im_start|>")
        #expect(qwen.piece(198) == "\n")
    }

    /// U+10FFFD (supplementary private use) is not in Gemma's vocabulary, so it falls back to its
    /// four UTF-8 bytes.
    @Test(.needsGemma) func byteFallback() throws {
        let tok = try #require(try Loaded.gemma.get() as? SentencePieceTokenizer)
        #expect(tok.id(ofPiece: "\u{10FFFD}") == nil)
        let ids = tok.encode("\u{10FFFD}", addBOS: false, parseSpecial: true)
        let expected = ["<0xF4>", "<0x8F>", "<0xBF>", "<0xBD>"].map { tok.id(ofPiece: $0) ?? -1 }
        #expect(expected.allSatisfy { $0 >= 0 })
        #expect(ids == expected)
        #expect(tok.decode(ids) == "\u{10FFFD}")
    }

    /// Merges go by score (SPM) or rank (BPE), not left to right: "aaa" must merge its first pair,
    /// the tie-break llama.cpp's queue uses, and the result must be vocabulary entries.
    @Test(.needsGemma) func mergeOrder() throws {
        let gemma = try Loaded.gemma.get()
        let g = gemma.encode("aaa", addBOS: false, parseSpecial: true)
        #expect(g.map(gemma.piece).joined() == "aaa")
    }

    /// Qwen's byte-level BPE merges by rank: "aaaa aaa" is two tokens, "abc" one.
    @Test(.needsQwen) func qwenMergeOrder() throws {
        let qwen = try #require(try Loaded.qwen.get() as? ByteLevelBPETokenizer)
        let q = qwen.encode("aaaa aaa", addBOS: false, parseSpecial: true)
        #expect(q.map(qwen.piece) == ["aaaa", " aaa"])
        // Ranks win over position: "ab" merges ahead of "bc" only if its rank is lower.
        let ids = qwen.encode("abc", addBOS: false, parseSpecial: true)
        #expect(ids.map(qwen.piece).joined() == "abc" && ids.count == 1)
    }

    /// llama.cpp matches user-defined tokens whole even without special parsing: Gemma's
    /// whitespace runs and HTML tags are single tokens either way, `<start_of_turn>` only when parsing.
    @Test(.needsGemma) func specialTokenParsing() throws {
        let gemma = try Loaded.gemma.get()
        #expect(gemma.encode("<html>", addBOS: false, parseSpecial: false) == [217])
        #expect(gemma.encode("<start_of_turn>", addBOS: false, parseSpecial: true) == [105])
        #expect(gemma.encode("<start_of_turn>", addBOS: false, parseSpecial: false).count > 1)
    }

    @Test func unsupportedModelIsNamed() throws {
        let url = try TestPaths.tempDir("tok").appendingPathComponent("bert.gguf")
        try Self.tinyGGUF(["tokenizer.ggml.model": "bert"]).write(to: url)
        #expect(throws: TokenizerError.unsupportedModel(path: url.path, model: "bert")) {
            _ = try TokenizerLoader.load(path: url.path)
        }
        let message = "\(TokenizerError.unsupportedModel(path: url.path, model: "bert"))"
        #expect(message.contains(url.path) && message.contains("\"bert\""))
    }

    /// A GGUF v3 file holding only string metadata and no tensors.
    static func tinyGGUF(_ kv: [String: String]) -> Data {
        var d = Data("GGUF".utf8)
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { d.append(contentsOf: $0) } }
        func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { d.append(contentsOf: $0) } }
        func str(_ s: String) { u64(UInt64(s.utf8.count)); d.append(contentsOf: Array(s.utf8)) }
        u32(3); u64(0); u64(UInt64(kv.count))
        for (k, v) in kv.sorted(by: { $0.key < $1.key }) { str(k); u32(8); str(v) }
        return d
    }
}
