import Basics
import Foundation
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `lisa train` on a tiny gemma3 (local then joint phase), SIGKILLed after a checkpoint, then `--resume`:
/// the final checkpoint must equal an uninterrupted run's byte for byte.
@Suite struct TrainKillResumeTests {
    @Test func killedTrainingResumesBitForBit() throws {
        let dir = try TestPaths.tempDir("train-kill"); defer { try? FileManager.default.removeItem(at: dir) }
        let files = try TinyTrainingFiles(in: dir, documents: 200)
        let model = files.model, corpus = files.corpus
        func args(_ out: URL) -> [String] {
            [
                "train", model, "--layers", "2,3", "--tokens", String(40 * 2 * 16), "--seq-len", "16", "--batch", "2",
                "--lr", "1e-2", "--rank", "4", "--corpus", corpus, "--threads", "1", "--checkpoint-every", "2", "--out",
                out.path,
            ]
        }
        let full = dir.appendingPathComponent("full.safetensors"),
            killed = dir.appendingPathComponent("killed.safetensors")
        let r = try LisaBinary.run(args(full))
        #expect(r.status == 0, "\(r.stderr)")

        let p = try LisaBinary.start(args(killed))
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: killed.path), Date() < deadline { usleep(2000) }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        #expect(p.terminationReason == .uncaughtSignal, "the run finished before it could be killed: make it longer")
        #expect(FileManager.default.fileExists(atPath: killed.path))
        let resumed = try LisaBinary.run(args(killed) + ["--resume"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        print(String(resumed.stderr.split(separator: "\n").first ?? ""))
        #expect(
            try Data(contentsOf: full) == Data(contentsOf: killed),
            "resumed checkpoint differs from the uninterrupted run's")
        // --resume before any checkpoint exists (a run killed before its first save) starts from step 0.
        let early = dir.appendingPathComponent("early.safetensors")
        let fresh = try LisaBinary.run(args(early) + ["--resume"])
        #expect(fresh.status == 0 && fresh.stderr.contains("starting from step 0"), "\(fresh.stderr)")
        #expect(
            try Data(contentsOf: full) == Data(contentsOf: early),
            "--resume without a checkpoint differs from a fresh run")
    }
}

/// `lisa eval --lisa` and `lisa generate --lisa` with a checkpoint trained for another model (a tiny gemma3)
/// on Gemma 3 270M: a non-zero exit and an error naming the checkpoint and both SHA-256s.
@Suite struct CheckpointModelMismatchTests {
    @Test(.needsGemma) func checkpointOfAnotherModelIsRefused() throws {
        let dir = try TestPaths.tempDir("wrong-model"); defer { try? FileManager.default.removeItem(at: dir) }
        let files = try TinyTrainingFiles(in: dir, documents: 20)
        let tiny = files.model, corpus = files.corpus
        let ckpt = dir.appendingPathComponent("tiny.safetensors").path
        let r = try LisaBinary.run([
            "train", tiny, "--layers", "2", "--tokens", "64", "--seq-len", "16", "--batch", "2",
            "--rank", "4", "--phase", "local", "--corpus", corpus, "--threads", "1", "--out", ckpt,
        ])
        #expect(r.status == 0, "\(r.stderr)")
        let tinySHA = try SHA256.hex(ofFile: tiny), gemmaSHA = try SHA256.hex(ofFile: TestPaths.gemma)
        for args in [
            ["eval", TestPaths.gemma, "--task", "piqa", "--limit", "1", "--data", TestPaths.data.path, "--lisa", ckpt],
            ["generate", TestPaths.gemma, "--prompt", "Hello", "-n", "2", "--greedy", "--lisa", ckpt],
        ] {
            let e = try LisaBinary.run(args)
            #expect(e.status != 0, "\(args[0]) accepted a checkpoint of another model")
            #expect(e.stderr.contains("different base model"), "\(args[0]): \(e.stderr)")
            #expect(
                e.stderr.contains(ckpt) && e.stderr.contains(tinySHA) && e.stderr.contains(gemmaSHA),
                "\(args[0]): \(e.stderr)")
            #expect(!e.stderr.contains("Fatal error"), "\(args[0]) crashed: \(e.stderr)")
        }
        let gone = dir.appendingPathComponent("gone.safetensors").path
        let e = try LisaBinary.run([
            "eval", TestPaths.gemma, "--task", "piqa", "--limit", "1", "--data", TestPaths.data.path, "--lisa", gone,
        ])
        #expect(e.status != 0 && e.stderr.contains("There is no checkpoint at \(gone)"), "\(e.stderr)")
    }
}
