#if canImport(Glibc)
import Glibc
#endif
import Foundation
import TestSupport
import Testing

/// Issue 15, end to end through the `lisa` binary: bad options, stray arguments, unreadable or misplaced files,
/// empty data and over-large limits each give a sentence naming the option or file (and the exit code says so).
@Suite(.serialized) struct BadOptionTests {
    /// A tiny llama model and a data folder with a three-document PIQA file (plus an empty one).
    final class Fixture: @unchecked Sendable {
        let dir = try! TestPaths.tempDir("badopt")  // a fixture's init cannot throw; a failure here fails the suite
        var model: String { dir.appendingPathComponent("m.gguf").path }
        var data: String { dir.appendingPathComponent("data").path }
        var empty: String { dir.appendingPathComponent("empty").path }
        init() {
            try! TinyModel(arch: "llama").write(to: model)
            for (folder, lines) in [(data, 3), (empty, 0)] {
                let piqa = URL(fileURLWithPath: folder).appendingPathComponent("piqa")
                try! FileManager.default.createDirectory(at: piqa, withIntermediateDirectories: true)
                let text = (0..<lines).map {
                    #"{"goal":"g\#($0)","sol1":"the a","sol2":"of and","label":\#($0 % 2)}"# + "\n"
                }.joined()
                try! text.write(to: piqa.appendingPathComponent("validation.jsonl"), atomically: true, encoding: .utf8)
            }
        }
    }
    static let f = Fixture()

    func lisa(_ args: [String]) throws -> LisaBinary.Result {
        _ = try LisaBinary.executable()
        return try LisaBinary.run(
            args, environment: ["LISA_TASKS": TestPaths.repoRoot.appendingPathComponent("tasks").path])
    }

    /// swift-argument-parser read "-1" as a flag: "Missing value for '--limit <limit>'".
    @Test func negativeNumbersReachTheOptionsValidation() throws {
        let limit = try lisa(["eval", Self.f.model, "--task", "piqa", "--limit", "-1"])
        #expect(limit.status == 64)
        #expect(limit.stderr.hasPrefix("Error: --limit must be at least 1, got -1.\n"), "\(limit.stderr)")
        let n = try lisa(["generate", Self.f.model, "--prompt", "hi", "-n", "-5"])
        #expect(n.status == 64 && n.stderr.hasPrefix("Error: -n must be at least 1, got -5.\n"), "\(n.stderr)")
        let shots = try lisa(["sensitivity", Self.f.model, "--shots", "-2"])
        #expect(
            shots.status == 64 && shots.stderr.hasPrefix("Error: --shots must be 0 or more, got -2.\n"),
            "\(shots.stderr)")
        // A negative number as a value that may be negative still arrives intact.
        let prompt = try lisa(["tokenize", Self.f.model, "--text", "-3", "--json", "--no-bos"])
        #expect(prompt.status == 0 && prompt.stdout.hasPrefix("{\"ids\":["), "\(prompt.stderr)")
    }

    @Test func limitZeroIsAnError() throws {
        let r = try lisa(["eval", Self.f.model, "--task", "piqa", "--limit", "0"])
        #expect(r.status == 64 && r.stderr.hasPrefix("Error: --limit must be at least 1, got 0.\n"))
    }

    @Test func strayPositionalArgumentSaysWhatToDo() throws {
        let r = try lisa(["tokenize", Self.f.model, "--text", "two", "words"])
        #expect(r.status == 64)
        #expect(
            r.stderr.hasPrefix(
                "Error: Unexpected argument 'words': this command takes no further positional argument "
                    + "(a value with spaces must be quoted, e.g. --prompt \"two words\"; a path goes to the option "
                    + "that expects it)\n"
            ), "\(r.stderr)")
        #expect(r.stderr.contains("Usage: lisa tokenize"))
    }

    @Test(arguments: [
        ["eval", "MODEL", "--task", "piqa"], ["generate", "MODEL", "--prompt", "hi"], ["sensitivity", "MODEL"],
        ["study", "run", "studies/tiny.yaml"], ["train", "MODEL", "--layers", "1", "--tokens", "8", "--out", "x.st"],
        ["perplexity", "MODEL", "--file", "x.txt"], ["attention", "MODEL", "--prompt", "hi"],
    ])
    func threadsZeroIsRefusedByEveryCommand(_ args: [String]) throws {
        let r = try lisa(args.map { $0 == "MODEL" ? Self.f.model : $0 } + ["--threads", "0"])
        #expect(
            r.status == 64 && r.stderr.hasPrefix("Error: --threads must be between 1 and 256, got 0.\n"),
            "\(args): \(r.stderr)")
    }

    /// Decision (README, Robustness): a --limit above the documents runs them all and says so on stderr.
    @Test func limitAboveTheDocumentsWarnsAndRunsThemAll() throws {
        let r = try lisa(["eval", Self.f.model, "--task", "piqa", "--data", Self.f.data, "--limit", "10", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(
            r.stderr.contains(
                "warning: --limit 10 is more than the 3 documents task piqa can evaluate; running all 3.\n"))
        #expect(r.stdout.contains("\"n\":3"))
    }

    @Test func emptyDataFileIsAnError() throws {
        let r = try lisa(["eval", Self.f.model, "--task", "piqa", "--data", Self.f.empty])
        #expect(r.status == 1)
        #expect(
            r.stderr == "Error: The data file \(Self.f.empty)/piqa/validation.jsonl holds no records: it is empty.\n")
    }

    /// Was a table of nan.
    @Test func unknownMetricIsAnError() throws {
        let r = try lisa(["sensitivity", Self.f.model, "--task", "piqa", "--data", Self.f.data, "--metric", "bogus"])
        #expect(r.status == 1)
        #expect(r.stderr == "Error: Task piqa has no metric \"bogus\"; its metrics are acc, acc_norm.\n")
        #expect(!r.stdout.contains("nan"))
    }

    @Test func taskWithAPathIsRefused() throws {
        let r = try lisa(["eval", Self.f.model, "--task", "tasks/piqa"])
        #expect(
            r.status == 1
                && r.stderr.hasPrefix("Error: --task \"tasks/piqa\" is not a task name: give the name of a file in "),
            "\(r.stderr)")
    }

    /// Foundation's "The operation could not be completed. (NSCocoaErrorDomain error 256.)" named neither.
    @Test func directoriesWhereFilesBelongAreNamed() throws {
        let dir = try TestPaths.tempDir("badopt-dir")
        defer { try? FileManager.default.removeItem(at: dir) }
        let prompt = try lisa(["generate", Self.f.model, "--prompt-file", dir.path, "-n", "1"])
        #expect(prompt.stderr == "Error: cannot read the text file \(dir.path): it is a directory, not a file.\n")
        let out = try lisa(["eval", Self.f.model, "--task", "piqa", "--data", Self.f.data, "--out", dir.path])
        #expect(out.status == 1)
        #expect(
            out.stderr == "Error: \(dir.path): cannot write the file: it is a directory, not a file.\n", "\(out.stderr)"
        )
        let db = try lisa(["eval", Self.f.model, "--task", "piqa", "--data", Self.f.data, "--db", dir.path])
        #expect(
            db.stderr
                == "Error: --db: The study database \(dir.path) cannot be opened: it is a directory, not a database "
                + "file.\n"
        )
        #expect(!(prompt.stderr + out.stderr + db.stderr).contains("NSCocoaErrorDomain"))
    }

    @Test func outputUnderAPathThatIsAFileIsNamed() throws {
        let dir = try TestPaths.tempDir("badopt-file")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("report.txt").path
        try "x".write(toFile: file, atomically: true, encoding: .utf8)
        let r = try lisa(["eval", Self.f.model, "--task", "piqa", "--data", Self.f.data, "--out", file + "/r.json"])
        #expect(r.status == 1)
        #expect(
            r.stderr == "Error: \(file)/r.json: cannot write the file: \(file) is a file, not a folder.\n",
            "\(r.stderr)")
    }

    @Test func fifoAsTheModelDoesNotHang() throws {
        let dir = try TestPaths.tempDir("badopt-fifo")
        defer { try? FileManager.default.removeItem(at: dir) }
        let fifo = dir.appendingPathComponent("m.gguf").path
        #expect(mkfifo(fifo, 0o600) == 0)
        let r = try lisa(["inspect", fifo])
        #expect(
            r.status == 1
                && r.stderr == "Error: \(fifo): cannot open the file: it is a FIFO (named pipe), not a regular file.\n")
    }

    /// Item 6: with stderr a pipe, a run prints progress lines (every LISA_PROGRESS_SECONDS; 0 = every document).
    @Test func progressLinesWhenStderrIsNotATerminal() throws {
        _ = try LisaBinary.executable()
        let r = try LisaBinary.run(
            ["eval", Self.f.model, "--task", "piqa", "--data", Self.f.data],
            environment: [
                "LISA_TASKS": TestPaths.repoRoot.appendingPathComponent("tasks").path, "LISA_PROGRESS_SECONDS": "0",
            ])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 4, "\(r.stderr)")
        #expect(
            lines.first?.hasPrefix("piqa: 1/3 (33.3 %), ") == true && lines.last?.hasSuffix(", done") == true,
            "\(r.stderr)")
    }

    /// Checked before a long run, not after it (the study used to capture, then fail with a raw NSCocoaErrorDomain
    /// text).
    @Test func reportsFolderThatIsAFileIsRefusedUpFront() throws {
        let dir = try TestPaths.tempDir("badopt-reports")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("reports").path
        try "x".write(toFile: file, atomically: true, encoding: .utf8)
        for args in [
            ["study", "run", "studies/tiny.yaml", "--reports", file], ["report", "--study", "tiny", "--reports", file],
        ] {
            let r = try lisa(args)
            #expect(
                r.status == 64 && r.stderr.hasPrefix("Error: --reports \(file) is a file, not a folder.\n"),
                "\(args): \(r.stderr)")
        }
    }

    @Test func unreadableInputsOfRecommendAndEvalAreNamed() throws {
        let dir = try TestPaths.tempDir("badopt-inputs")
        defer { try? FileManager.default.removeItem(at: dir) }
        let sweep = try lisa(["recommend", Self.f.model, "--sensitivity", dir.path, "--target", "1"])
        #expect(
            sweep.stderr == "Error: The sweep file \(dir.path) cannot be read: it is a directory, not a file.\n",
            "\(sweep.stderr)")
        let partial = try lisa(["eval", Self.f.model, "--task", "piqa", "--data", Self.f.data, "--partial", dir.path])
        #expect(
            partial.stderr
                == "Error: The document log \(dir.path) cannot be opened for writing: it is a directory, not a file.\n",
            "\(partial.stderr)")
    }
}
