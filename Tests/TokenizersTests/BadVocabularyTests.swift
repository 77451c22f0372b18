import Foundation
import GGUF
import TestSupport
import Testing
import Tokenizers

/// Issue 15: vocabularies that crashed decoding or were accepted with ids outside the vocabulary.
@Suite struct BadVocabularyTests {
    /// The tiny SentencePiece vocabulary with `edit` applied to its tokens and types, written to a file.
    static func file(
        _ edit: (inout [String], inout [Int32]) -> Void = { _, _ in },
        metadata: (inout GGUFWriter) -> Void = { _ in }
    ) throws -> (path: String, dir: URL) {
        var w = try TinyModel(arch: "llama").writer()
        var tokens = try #require(w.metadata.first { $0.key == "tokenizer.ggml.tokens" }?.value.array?.strings)
        var types = try #require(w.metadata.first { $0.key == "tokenizer.ggml.token_type" }?.value.array?.ints).map(
            Int32.init)
        edit(&tokens, &types)
        w.set("tokenizer.ggml.tokens", .array(.string, tokens.map { .string($0) }))
        w.set("tokenizer.ggml.token_type", .array(.int32, types.map { .int32($0) }))
        w.set("tokenizer.ggml.scores", .array(.float32, tokens.map { _ in .float32(0) }))
        metadata(&w)
        return try w.writeTemporary()
    }

    /// A BYTE-typed token (6) whose text is "a!!!!!" (six bytes, not <0xNN>): decoding it read '!' as a hex
    /// digit and trapped on the underflow (SIGILL). Now the vocabulary is refused at load, naming the token.
    @Test func byteTokenWithoutHexTextIsRefused() throws {
        let (path, dir) = try Self.file { tokens, types in
            for (k, t) in ["a", "!", "a!", "a!!", "a!!!", "a!!!!", "a!!!!!"].enumerated() {
                tokens[259 + k] = t; types[259 + k] = 1
            }
            types[265] = 6
        }
        defer { try? FileManager.default.removeItem(at: dir) }
        let expected = TokenizerError.inconsistentMetadata(
            path: path,
            reason: "token 265 \"a!!!!!\" has type BYTE (6) but its text is not of the form <0xNN>")
        #expect(throws: expected) { try TokenizerLoader.load(path: path) }
        #expect(expected.description.hasPrefix("\(path): the tokenizer metadata is inconsistent: token 265"))
    }

    @Test func byteTokensWithHexTextStillDecode() throws {
        let (path, dir) = try Self.file()
        defer { try? FileManager.default.removeItem(at: dir) }
        let t = try TokenizerLoader.load(path: path)
        #expect(t.decode([3 + 0x41, 3 + 0x62]) == "Ab")  // <0x41>, <0x62>
    }

    @Test(arguments: ["<0x4>", "<0xG0>", "[0x41]", "<0X41>", "<0x41)"])
    func malformedByteTextIsRefused(_ text: String) throws {
        let (path, dir) = try Self.file { tokens, _ in tokens[3 + 0x41] = text }
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(
            throws: TokenizerError.inconsistentMetadata(
                path: path,
                reason: "token 68 \(text.debugDescription) has type BYTE (6) but its text is not of the form <0xNN>")
        ) {
            try TokenizerLoader.load(path: path)
        }
    }

    @Test(arguments: [
        ("tokenizer.ggml.bos_token_id", 300), ("tokenizer.ggml.eos_token_id", 1 << 20),
        ("tokenizer.ggml.padding_token_id", 300), ("tokenizer.ggml.unknown_token_id", 999),
    ])
    func specialIDOutsideTheVocabularyIsAnError(_ key: String, _ id: Int) throws {
        let (path, dir) = try Self.file(metadata: { $0.set(key, .uint32(UInt32(id))) })
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(
            throws: TokenizerError.inconsistentMetadata(
                path: path,
                reason: "\(key) is \(id), outside the vocabulary of 300 tokens (0 to 299)")
        ) { try TokenizerLoader.load(path: path) }
    }

    @Test func negativeBOSIsAnError() throws {
        let (path, dir) = try Self.file(metadata: { $0.set("tokenizer.ggml.bos_token_id", .int32(-1)) })
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(
            throws: TokenizerError.inconsistentMetadata(
                path: path,
                reason: "tokenizer.ggml.bos_token_id is -1, outside the vocabulary of 300 tokens (0 to 299)")
        ) { try TokenizerLoader.load(path: path) }
    }

    @Test func wrongTypedBOSIsNamed() throws {
        let (path, dir) = try Self.file(metadata: { $0.set("tokenizer.ggml.bos_token_id", .string("1")) })
        defer { try? FileManager.default.removeItem(at: dir) }
        do { _ = try TokenizerLoader.load(path: path); Issue.record("expected an error") } catch {
            #expect("\(error)".contains("metadata key 'tokenizer.ggml.bos_token_id' is a string, not an integer"))
            #expect("\(error)".hasPrefix(path))
        }
    }

    @Test func emptyTokenListIsAnError() throws {
        let (path, dir) = try Self.file { tokens, types in
            tokens = []; types = []
        }
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(
            throws: TokenizerError.inconsistentMetadata(path: path, reason: "tokenizer.ggml.tokens is an empty list")
        ) {
            try TokenizerLoader.load(path: path)
        }
    }
}
