import Foundation
import GGUF
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

    static func load(_ file: String) -> [TokenizerOracleCase] {
        let url = TestPaths.oracles.appendingPathComponent(file)
        guard let data = try? String(contentsOf: url, encoding: .utf8) else { return [] }
        return data.split(separator: "\n").compactMap {
            try? JSONDecoder().decode(TokenizerOracleCase.self, from: Data($0.utf8))
        }
    }
}

/// Loaded once: building Gemma's 262k-token vocabulary is the slow part of these tests.
enum Loaded {
    static let gemma: (any Tokenizer)? = try? TokenizerLoader.load(path: TestPaths.gemma)
    static let qwen: (any Tokenizer)? = TestPaths.hasQwen ? try? TokenizerLoader.load(path: TestPaths.qwen) : nil
}

@Suite struct GemmaOracleTests {
    static let cases = TokenizerOracleCase.load("tokens_gemma3.jsonl")

    @Test func allCasesPresent() { #expect(Self.cases.count == 45) }

    @Test(arguments: cases) func matchesLlamaTokenize(_ c: TokenizerOracleCase) throws {
        let tok = try #require(Loaded.gemma, "Gemma tokenizer failed to load from \(TestPaths.gemma)")
        #expect(tok.encode(c.text) == c.ids)
        #expect(tok.encode(c.text, addBOS: false, parseSpecial: true) == c.ids_no_bos)
        #expect(tok.encode(c.text, addBOS: tok.addBOSByDefault, parseSpecial: false) == c.ids_no_parse_special)
        #expect(tok.decode(tok.encode(c.text, addBOS: false, parseSpecial: true)) == c.text)
    }
}

@Suite struct QwenOracleTests {
    static let cases = TokenizerOracleCase.load("tokens_qwen2.jsonl")

    @Test func allCasesPresent() { #expect(Self.cases.count == 45) }

    @Test(arguments: cases) func matchesLlamaTokenize(_ c: TokenizerOracleCase) throws {
        guard TestPaths.hasQwen else { return }
        let tok = try #require(Loaded.qwen, "Qwen tokenizer failed to load from \(TestPaths.qwen)")
        #expect(tok.encode(c.text) == c.ids)
        #expect(tok.encode(c.text, addBOS: false, parseSpecial: true) == c.ids_no_bos)
        #expect(tok.encode(c.text, addBOS: tok.addBOSByDefault, parseSpecial: false) == c.ids_no_parse_special)
        #expect(tok.decode(tok.encode(c.text, addBOS: false, parseSpecial: true)) == c.text)
    }
}

/// The perplexity text (the whole GPL v3, 35 kB) has known llama.cpp token counts; this
/// exercises long inputs, many special-token splits and deep merge queues at once.
@Suite struct LongTextTests {
    static let text = try? String(contentsOf: TestPaths.oracles.appendingPathComponent("ppl_text.txt"), encoding: .utf8)

    @Test func gemmaCountMatchesLlamaPerplexity() throws {
        let tok = try #require(Loaded.gemma)
        let text = try #require(Self.text)
        let ids = tok.encode(text)
        #expect(ids.count == 7_563)
        #expect(tok.decode(Array(ids.dropFirst())) == text)
    }

    @Test func qwenCountMatchesLlamaPerplexity() throws {
        guard TestPaths.hasQwen else { return }
        let tok = try #require(Loaded.qwen)
        let text = try #require(Self.text)
        let ids = tok.encode(text)
        #expect(ids.count == 7_486)
        #expect(tok.decode(ids) == text)
    }
}
