import Foundation
import LiSA
import TestSupport
import Testing
import Tokenizers

/// Training windows from JSONL and plain-text corpora with Gemma's tokenizer: the cache gives the same
/// windows as tokenizing afresh, later runs tokenize only documents past the cached ones, and a damaged
/// cache file is rebuilt rather than trusted.
@Suite struct TrainingWindowsTests {
    @Test(.needsGemma) func cachedWindowsEqualFreshOnesAndDamageIsRebuilt() throws {
        let dir = try TestPaths.tempDir("windows"); defer { try? FileManager.default.removeItem(at: dir) }
        let tok = try TokenizerLoader.load(path: TestPaths.gemma)
        let jsonl = dir.appendingPathComponent("c.jsonl"), txt = dir.appendingPathComponent("w.txt")
        try (0..<40).map { "{\"text\":\"Document \($0): the winter heart of the \($0 * 7) mills, and a river.\"}" }
            .joined(separator: "\n").write(to: jsonl, atomically: true, encoding: .utf8)
        try (0..<30).map { $0 % 3 == 0 ? "   " : " = Section \($0) = the lobster lives in the sea ." }
            .joined(separator: "\n").write(to: txt, atomically: true, encoding: .utf8)
        let cacheDir = dir.appendingPathComponent("cache")
        let cache = (directory: cacheDir, tokenizerID: "gemma-test")
        let corpora = [txt, jsonl]

        let fresh = try TrainingWindows(corpora: corpora, tokenizer: tok, seqLen: 16, count: 12)
        let first = try TrainingWindows(corpora: corpora, tokenizer: tok, seqLen: 16, count: 12, cache: cache)
        #expect(first.windows == fresh.windows && first.windows.count == 12)
        #expect(first.windows.allSatisfy { $0.count == 16 && $0[0] == tok.bosID })
        // The blank lines of the text file are not documents; the 20 others come first, in order.
        let firstLine = tok.encode(
            " = Section 1 = the lobster lives in the sea .\n", addBOS: false, parseSpecial: false)
        #expect(Array(first.windows[0][1...].prefix(firstLine.count)) == firstLine)
        #expect(first.documentsTokenized > 0)

        // Same request again: everything from the cache.
        let again = try TrainingWindows(corpora: corpora, tokenizer: tok, seqLen: 16, count: 12, cache: cache)
        #expect(
            again.windows == fresh.windows && again.documentsTokenized == 0
                && again.documentsFromCache == first.documentsTokenized)
        // A longer run tokenizes only documents past the cached ones and still equals a fresh run.
        let more = try TrainingWindows(corpora: corpora, tokenizer: tok, seqLen: 16, count: 40, cache: cache)
        let moreFresh = try TrainingWindows(corpora: corpora, tokenizer: tok, seqLen: 16, count: 40)
        #expect(more.windows == moreFresh.windows)
        #expect(more.documentsTokenized > 0 && more.documentsTokenized < moreFresh.documentsTokenized)

        // Truncated cache files are rebuilt, not trusted.
        let files = try FileManager.default.contentsOfDirectory(at: cacheDir, includingPropertiesForKeys: nil)
        #expect(files.count == 2)
        for f in files { let d = try Data(contentsOf: f); try d.prefix(d.count - 3).write(to: f) }
        let rebuilt = try TrainingWindows(corpora: corpora, tokenizer: tok, seqLen: 16, count: 40, cache: cache)
        #expect(rebuilt.windows == moreFresh.windows && rebuilt.documentsTokenized == moreFresh.documentsTokenized)
        // Another tokenizer identity gets its own files.
        _ = try TrainingWindows(corpora: corpora, tokenizer: tok, seqLen: 16, count: 2, cache: (cacheDir, "other"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: cacheDir.path).count == 3)
    }
}
