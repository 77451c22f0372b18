import Foundation
import TestSupport
import Testing
import Tokenizers

/// One line of `tokens_<model>.jsonl`: llama-tokenize's ids for `text` (see the oracles README).
struct TokenizerOracleCase: Decodable, CustomTestStringConvertible, Sendable {
    let name: String
    let text: String
    let ids: [Int]
    let ids_no_bos: [Int]
    let ids_no_parse_special: [Int]
    var testDescription: String { name }

    /// Every line of the oracle file; a missing file or a line that does not decode is an error.
    static func load(_ file: String) throws -> [TokenizerOracleCase] {
        let url = TestPaths.oracles.appendingPathComponent(file)
        return try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map {
            try JSONDecoder().decode(TokenizerOracleCase.self, from: Data($0.utf8))
        }
    }
}

/// Loaded once: building Gemma's 262k-token vocabulary is the slow part of these tests. A failed load
/// fails every test that asks for the tokenizer (`try Loaded.gemma.get()`).
enum Loaded {
    static let gemma = Result { try TokenizerLoader.load(path: TestPaths.gemma) }
    static let qwen = Result { try TokenizerLoader.load(path: TestPaths.qwen) }
}

@Suite struct GemmaOracleTests {
    @Test func allCasesPresent() throws { #expect(try TokenizerOracleCase.load("tokens_gemma3.jsonl").count == 45) }

    @Test(.needsGemma, arguments: try TokenizerOracleCase.load("tokens_gemma3.jsonl"))
    func matchesLlamaTokenize(_ c: TokenizerOracleCase) throws {
        let tok = try Loaded.gemma.get()
        #expect(tok.encode(c.text) == c.ids)
        #expect(tok.encode(c.text, addBOS: false, parseSpecial: true) == c.ids_no_bos)
        #expect(tok.encode(c.text, addBOS: tok.addBOSByDefault, parseSpecial: false) == c.ids_no_parse_special)
        #expect(tok.decode(tok.encode(c.text, addBOS: false, parseSpecial: true)) == c.text)
    }
}

@Suite struct QwenOracleTests {
    @Test func allCasesPresent() throws { #expect(try TokenizerOracleCase.load("tokens_qwen2.jsonl").count == 45) }

    @Test(.needsQwen, arguments: try TokenizerOracleCase.load("tokens_qwen2.jsonl"))
    func matchesLlamaTokenize(_ c: TokenizerOracleCase) throws {
        let tok = try Loaded.qwen.get()
        #expect(tok.encode(c.text) == c.ids)
        #expect(tok.encode(c.text, addBOS: false, parseSpecial: true) == c.ids_no_bos)
        #expect(tok.encode(c.text, addBOS: tok.addBOSByDefault, parseSpecial: false) == c.ids_no_parse_special)
        #expect(tok.decode(tok.encode(c.text, addBOS: false, parseSpecial: true)) == c.text)
    }
}

/// The perplexity text (the whole GPL v3, 35 kB) has known llama.cpp token counts; this
/// exercises long inputs, many special-token splits and deep merge queues at once.
@Suite struct LongTextTests {
    static func text() throws -> String {
        try String(contentsOf: TestPaths.oracles.appendingPathComponent("ppl_text.txt"), encoding: .utf8)
    }

    @Test(.needsGemma) func gemmaCountMatchesLlamaPerplexity() throws {
        let tok = try Loaded.gemma.get()
        let text = try Self.text()
        let ids = tok.encode(text)
        #expect(ids.count == 7_563)
        #expect(tok.decode(Array(ids.dropFirst())) == text)
    }

    @Test(.needsQwen) func qwenCountMatchesLlamaPerplexity() throws {
        let tok = try Loaded.qwen.get()
        let text = try Self.text()
        let ids = tok.encode(text)
        #expect(ids.count == 7_486)
        #expect(tok.decode(ids) == text)
    }
}
