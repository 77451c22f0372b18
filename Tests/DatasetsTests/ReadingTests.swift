import Foundation
import Testing
import TestSupport
import Datasets

/// Newline bytes in a file (like `wc -l`): an independent count of its records.
func newlineCount(_ url: URL) throws -> Int {
    try Data(contentsOf: url).reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
}

/// Writes `text` to a fresh temp file and returns its URL.
func tempFile(_ name: String, _ text: String) throws -> URL {
    let u = try TestPaths.tempDir("datasets").appendingPathComponent(name)
    try text.write(to: u, atomically: true, encoding: .utf8)
    return u
}

@Suite struct ReadingTests {
    let data = DataDirectory(path: TestPaths.data.path)

    @Test func realFilesLoadWithTheirCounts() throws {
        // Counts from data/README.md; each also equals the file's newline count.
        let piqa = try readJSONL(PIQARecord.self, from: data.file("piqa/validation.jsonl"))
        let test = try readJSONL(GSM8KRecord.self, from: data.file("gsm8k/test.jsonl"))
        let train = try readJSONL(GSM8KRecord.self, from: data.file("gsm8k/train.jsonl"))
        let wmt = try readJSONL(WMT24Record.self, from: data.file("wmt/wmt24_en-de_en-zh.short500.jsonl"))
        let wmt22 = try readJSONL(WMT22Record.self, from: data.file("wmt/wmt22_en-zh.test.jsonl"))
        let wec = try readJSONL(WECRecord.self, from: data.file("wec/dev.jsonl"))
        let counts: [Int] = [piqa.count, test.count, train.count, wmt.count, wmt22.count, wec.count]
        let expected: [Int] = [1838, 1319, 7473, 500, 2037, 1250]
        #expect(counts == expected)
        for (path, n) in [
            ("piqa/validation.jsonl", piqa.count), ("gsm8k/test.jsonl", test.count),
            ("gsm8k/train.jsonl", train.count), ("wec/dev.jsonl", wec.count),
            ("wmt/wmt24_en-de_en-zh.short500.jsonl", wmt.count),
        ] {
            #expect(try newlineCount(data.file(path)) == n, "\(path)")
        }
        #expect(piqa[0].goal == "How do I ready a guinea pig cage for it's new occupants?" && piqa[0].label == 0)
        #expect(test[0].finalAnswer == "18")
        #expect(wmt[0].segID == 1 && wmt[0].domain == "news")
        #expect(wec[0].tokensStr == "Family Values Tour 1998" && wec[0].context.unicodeScalars.count == 846)
    }

    @Test func everyCatalogFileChecksOK() throws {
        let results = checkDataDirectory(data)
        #expect(results.count == dataCatalog.count)
        for r in results {
            #expect(r.ok, "\(r.path): \(r.error ?? "")")
            #expect(r.records == (try newlineCount(data.file(r.path))), "\(r.path)")
        }
    }

    @Test func malformedLinesNameFileAndLine() throws {
        let good = #"{"goal": "g", "sol1": "a", "sol2": "b", "label": 1}"#
        let cases: [(String, (String) -> DatasetError)] = [
            (good + "\n{\"goal\": \"g\", \n", { .badJSON(file: $0, line: 2, reason: "") }),
            (
                good + "\n" + good + "\n" + #"{"goal": "g", "sol1": "a", "label": 0}"# + "\n",
                { .missingField(file: $0, line: 3, field: "sol2") }
            ),
            (
                #"{"goal": "g", "sol1": "a", "sol2": "b", "label": "0"}"# + "\n",
                { .wrongType(file: $0, line: 1, field: "label", expected: "an integer") }
            ),
            (
                #"{"goal": "g", "sol1": "a", "sol2": "b", "label": 1.5}"# + "\n",
                { .wrongType(file: $0, line: 1, field: "label", expected: "an integer") }
            ),
            (
                #"{"goal": null, "sol1": "a", "sol2": "b", "label": 0}"# + "\n",
                { .wrongType(file: $0, line: 1, field: "goal", expected: "a string") }
            ),
            (good + "\n[1, 2]\n", { .badJSON(file: $0, line: 2, reason: "") }),
            (good + "\n\n" + good + "\n", { .badJSON(file: $0, line: 2, reason: "") }),
            (
                #"{"goal": "g", "sol1": "a", "sol2": "b", "label": 2}"# + "\n",
                { .invalidValue(file: $0, line: 1, field: "label", reason: "") }
            ),
        ]
        for (text, expected) in cases {
            let url = try tempFile("piqa.jsonl", text)
            let want = expected(url.path)
            do {
                _ = try readJSONL(PIQARecord.self, from: url)
                Issue.record("no error for \(text)")
            } catch let error as DatasetError {
                #expect(sameKind(error, want), "got \(error), want \(want)")
                #expect(error.description.hasPrefix("\(url.path):"), "\(error)")
                if case .badJSON(_, _, let reason) = error {
                    #expect(!reason.isEmpty && reason != "The given data was not valid JSON.")
                }
            }
        }
    }

    @Test func nestedWrongTypeNamesTheElement() throws {
        let url = try tempFile("nq.jsonl", #"{"question": "q", "answer": ["a", 3]}"# + "\n")
        #expect(throws: DatasetError.wrongType(file: url.path, line: 1, field: "answer[1]", expected: "a string")) {
            try readJSONL(NQOpenRecord.self, from: url)
        }
        let message = DatasetError.wrongType(file: url.path, line: 1, field: "answer[1]", expected: "a string")
            .description
        #expect(message == "\(url.path):1: the field \"answer[1]\" should be a string.")
    }

    @Test func missingFileTellsAboutDataAndEnv() throws {
        let dir = DataDirectory(path: "/nonexistent/data")
        #expect(throws: DatasetError.missingFile(path: "/nonexistent/data/piqa/validation.jsonl")) {
            try dir.file("piqa/validation.jsonl")
        }
        let text = DatasetError.missingFile(path: "/x/y.jsonl").description
        #expect(text.contains("/x/y.jsonl") && text.contains("--data") && text.contains("LISA_DATA"))
        let failed = checkDataDirectory(dir)
        #expect(failed.allSatisfy { !$0.ok && $0.records == nil })
    }

    @Test func dataDirectoryResolution() {
        #expect(DataDirectory(path: "/a", environment: ["LISA_DATA": "/b"]).url.path == "/a")
        #expect(DataDirectory(path: nil, environment: ["LISA_DATA": "/b"]).url.path == "/b")
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        // Compare with symbolic links resolved on both sides (../shared may itself be a link).
        #expect(
            DataDirectory(path: nil, environment: [:]).url.resolvingSymlinksInPath().path
                == cwd.deletingLastPathComponent().appendingPathComponent("shared/data").resolvingSymlinksInPath().path)
    }
}

/// Same case, file and line (and field where there is one); reasons are free text.
func sameKind(_ a: DatasetError, _ b: DatasetError) -> Bool {
    switch (a, b) {
    case let (.badJSON(f1, l1, _), .badJSON(f2, l2, _)): return f1 == f2 && l1 == l2
    case let (.missingField(f1, l1, x1), .missingField(f2, l2, x2)): return f1 == f2 && l1 == l2 && x1 == x2
    case let (.wrongType(f1, l1, x1, e1), .wrongType(f2, l2, x2, e2)):
        return f1 == f2 && l1 == l2 && x1 == x2 && e1 == e2
    case let (.invalidValue(f1, l1, x1, _), .invalidValue(f2, l2, x2, _)): return f1 == f2 && l1 == l2 && x1 == x2
    default: return false
    }
}
