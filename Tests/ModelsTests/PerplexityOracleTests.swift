import Foundation
import GGUF
import Models
import TestSupport
import Testing
import Tokenizers

/// Perplexity of ../shared/oracles/ppl_text.txt at c = 128 within 1 % of llama-perplexity's
/// dequantized-to-F32 figures (perplexity.md: gemma3 18.3264, qwen2 2.3042), chunked the same way.
@Suite struct PerplexityOracleTests {
    func check(_ name: String, path: String, reference: Double, chunks: Int) throws {
        let model = try RealModels.model(name)
        let tok = try TokenizerLoader.load(from: GGUFFile(path: path))
        var text = try String(contentsOf: TestPaths.oracles.appendingPathComponent("ppl_text.txt"), encoding: .utf8)
        if text.hasSuffix("\n") { text.removeLast() }  // llama-perplexity strips one trailing newline
        let ids = tok.encode(text, addBOS: tok.addBOSByDefault, parseSpecial: false)
        let r = try model.perplexity(tokens: ids, context: 128, bos: tok.addBOSByDefault ? tok.bosID : nil)
        print(
            "\(name) perplexity c=128: \(r.perplexity) ± \(r.plusMinus) over \(r.chunks) chunks (llama.cpp "
                + "dequant_f32: \(reference))"
        )
        #expect(r.chunks == chunks)
        #expect(r.scoredTokens == chunks * 63)
        #expect(abs(r.perplexity - reference) / reference < 0.01)
    }

    @Test(.needsGemma) func gemma3() throws {
        try check("gemma3", path: TestPaths.gemma, reference: 18.3264, chunks: 59)
    }
    @Test(.needsQwen) func qwen2() throws {
        try check("qwen2", path: TestPaths.qwen, reference: 2.3042, chunks: 58)
    }
}
