import Foundation
import Testing
import TestSupport

// `lisa sensitivity` runs one implementation of the sweep (issue 16): without --db in a temporary study database,
// with --db in the given one; both give the same sweep, and the stored one resumes to itself. Tiny gemma3 (6
// layers: pairs 3–4 and 5–6), PIQA × 2 documents (its tokenizer reads any text).
@Suite struct SensitivityCommandTests {
    @Test func theSweepIsTheSameWithAndWithoutADatabase() throws {
        let dir = try TestPaths.tempDir("sens-cmd"); defer { try? FileManager.default.removeItem(at: dir) }
        let model = try TinyTrainingFiles(in: dir, documents: 1).model
        func sweep(_ extra: [String], _ name: String) throws -> [String: Any] {
            let out = dir.appendingPathComponent(name).path
            let r = try LisaBinary.run(
                [
                    "sensitivity", model, "--task", "piqa", "--limit", "2", "--data", TestPaths.data.path, "--threads",
                    "1",
                    "--out", out,
                ] + extra)
            #expect(r.status == 0, "\(r.stderr.suffix(400))")
            #expect(r.stdout.contains("robustness ranking"), "\(r.stdout)")
            return try #require(
                try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out))) as? [String: Any])
        }
        let db = dir.appendingPathComponent("s.sqlite").path
        let plain = try sweep([], "plain.json")
        let stored = try sweep(["--db", db, "--reports", dir.appendingPathComponent("reports").path], "stored.json")
        let again = try sweep(
            ["--db", db, "--resume", "--reports", dir.appendingPathComponent("reports").path], "again.json")
        func scores(_ s: [String: Any]) -> [Double] {
            [s["baseline"] as? Double ?? .nan]
                + ((s["pairs"] as? [[String: Any]]) ?? []).flatMap {
                    [$0["ds"] as? Double ?? .nan, $0["uniform"] as? Double ?? .nan]
                }
        }
        #expect(scores(plain).count == 5 && scores(plain).allSatisfy(\.isFinite), "\(scores(plain))")
        #expect(scores(stored) == scores(plain))
        #expect(scores(again) == scores(stored))
        #expect(
            (plain["pairs"] as? [[String: Any]])?.compactMap { ($0["pair"] as? [String: Int])?["first"] } == [2, 4])
    }
}
