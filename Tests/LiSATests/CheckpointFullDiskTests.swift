import Foundation
import TestSupport
import Testing

/// A full disk (a file-size limit, `ulimit -f`) while `lisa train` writes its checkpoint: the run fails with a
/// sentence naming the file, and the previous checkpoint at --out is left byte for byte as it was (issue 15).
@Suite struct CheckpointFullDiskTests {
    @Test func fullDiskLeavesThePreviousCheckpoint() throws {
        let dir = try TestPaths.tempDir("ckpt-full"); defer { try? FileManager.default.removeItem(at: dir) }
        let files = try TinyTrainingFiles(in: dir, documents: 100)
        let model = files.model, corpus = files.corpus
        let out = dir.appendingPathComponent("lisa.safetensors")
        func args(lr: String) -> [String] {
            [
                "train", model, "--layers", "2,3", "--tokens", String(8 * 2 * 16), "--seq-len", "16", "--batch", "2",
                "--lr", lr, "--rank", "4", "--corpus", corpus, "--threads", "1", "--out", out.path,
            ]
        }
        let first = try LisaBinary.run(args(lr: "1e-3"))
        #expect(first.status == 0, "\(first.stderr.suffix(400))")
        let previous = try Data(contentsOf: out)
        #expect(previous.count > 4096)

        let r = try LisaBinary.run(args(lr: "1e-2"), fileSizeLimitKB: 4)
        #expect(r.status != 0)
        #expect(
            r.stderr.contains("\(out.path): cannot write the file: File too large; the previous file is unchanged."),
            "\(r.stderr.suffix(400))")
        #expect(try Data(contentsOf: out) == previous)
        let left = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains("safetensors") }
        #expect(left == ["lisa.safetensors"], "a temporary file was left")
    }
}
