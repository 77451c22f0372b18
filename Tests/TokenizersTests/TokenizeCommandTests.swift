import Foundation
import TestSupport
import Testing

/// End-to-end: runs the `lisa` binary built with these tests (TokenizersTests cannot link LisaCommands).
@Suite struct TokenizeCommandTests {
    static func run(_ args: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let r = try LisaBinary.run(args)
        return (r.status, r.stdout, r.stderr)
    }

    @Test(.needsGemma) func jsonIdsForText() throws {
        let r = try Self.run(["tokenize", TestPaths.gemma, "--text", "Hello world", "--json"])
        #expect(r.status == 0)
        #expect(r.stdout == "{\"ids\":[2,9259,1902]}\n")
    }

    @Test(.needsGemma) func textFileKeepsNewlinesAndNoBOS() throws {
        let file = try TestPaths.tempDir("tok").appendingPathComponent("text.txt")
        try "Line one\n\nLine three\n".write(to: file, atomically: true, encoding: .utf8)
        let r = try Self.run(["tokenize", TestPaths.gemma, "--text-file", file.path, "--json", "--no-bos"])
        #expect(r.status == 0)
        #expect(r.stdout == "{\"ids\":[4539,886,108,4539,1806,107]}\n")  // the oracle's ids_no_bos
    }

    @Test(.needsGemma) func plainOutputListsIdsAndPieces() throws {
        let r = try Self.run(["tokenize", TestPaths.gemma, "--text", "Hello world"])
        #expect(r.stdout == "2 \"<bos>\"\n9259 \"Hello\"\n1902 \" world\"\n")
    }

    @Test(.needsGemma) func missingFileIsNamedAndFails() throws {
        let missing = "/nonexistent/lisa-tokenize-input.txt"
        let r = try Self.run(["tokenize", TestPaths.gemma, "--text-file", missing])
        #expect(r.status != 0)
        #expect(r.stderr.contains("cannot read the text file \(missing): it does not exist."))
    }
}
