import Basics
import Foundation
import Store
import Testing
import TestSupport

// `lisa eval --lisa CKPT --db` (issue 16, items 1–2): an evaluation with a trained checkpoint is stored like every
// other, its run identified by the checkpoint's SHA-256, resumable, and equal to the same evaluation without --db.
// A tiny gemma3 model and a checkpoint trained for 4 steps; PIQA × 3 (the tiny model's tokenizer reads any text).
@Suite(.serialized) struct EvalLiSADatabaseTests {
    @Test func aCheckpointEvaluationIsStoredResumedAndIdentifiedByItsSHA() throws {
        let dir = try TestPaths.tempDir("eval-lisa-db"); defer { try? FileManager.default.removeItem(at: dir) }
        let files = try TinyTrainingFiles(in: dir, documents: 20)
        let model = files.model, corpus = files.corpus
        let ckpt = dir.appendingPathComponent("tiny.safetensors").path
        let trained = try LisaBinary.run([
            "train", model, "--layers", "2,3", "--tokens", "128", "--seq-len", "16",
            "--batch", "2", "--rank", "4", "--lr", "1e-2", "--corpus", corpus,
            "--threads", "1", "--out", ckpt,
        ])
        #expect(trained.status == 0, "\(trained.stderr.suffix(400))")
        let db = dir.appendingPathComponent("runs.sqlite").path
        func eval(_ extra: [String]) throws -> LisaBinary.Result {
            try LisaBinary.run(
                [
                    "eval", model, "--task", "piqa", "--limit", "3", "--data", TestPaths.data.path,
                    "--threads", "1", "--json",
                ] + extra)
        }
        let outFile = dir.appendingPathComponent("plain.json").path
        let plain = try eval(["--lisa", ckpt, "--out", outFile])
        let stored = try eval(["--lisa", ckpt, "--db", db])
        let again = try eval(["--lisa", ckpt, "--db", db, "--resume"])
        let base = try eval(["--db", db])
        for r in [plain, stored, again, base] { #expect(r.status == 0, "\(r.stderr.suffix(400))") }
        func metrics(_ r: LisaBinary.Result) throws -> [String: Double] {
            let o = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
            return try #require(o?["metrics"] as? [String: Double])
        }
        #expect(try metrics(stored) == metrics(plain))  // --db changes nothing of the numbers
        #expect(try metrics(again) == metrics(stored))  // resumed from the stored documents
        let runs = try LisaStore(path: db).evalRuns()
        #expect(runs.count == 2, "one run with the checkpoint (resumed, not repeated) and one without")
        let sha = try SHA256.hex(ofFile: ckpt)
        let withCkpt = runs.filter { $0.parameters.contains("\"checkpointSHA256\":\"\(sha)\"") }
        #expect(withCkpt.count == 1)
        #expect(runs.filter { !$0.parameters.contains("checkpointSHA256") }.count == 1)
        #expect(withCkpt.first?.status == .finished && withCkpt.first?.n == 3)
        #expect(withCkpt.first?.checkpointSHA256 == sha)
        #expect(runs.filter { $0.checkpointSHA256 == nil }.count == 1)
        // The --out file names the checkpoint too (it recorded `"policies": {}` and nothing else before issue 16).
        let out =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: outFile))) as? [String: Any]
        let checkpoint = try #require(out?["checkpoint"] as? [String: Any])
        #expect(checkpoint["sha256"] as? String == sha)
        #expect(checkpoint["method"] as? String == "lisa")
        #expect(checkpoint["nf"] as? Bool == false)
        #expect(out?["policies"] as? [String: String] == [:])
    }
}
