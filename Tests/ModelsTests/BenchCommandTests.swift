import Foundation
import Testing
import TestSupport

// `lisa bench prefill | decode-step | train` run end to end on a tiny gemma3 (issue 16: the commands only parse,
// call the Benchmarks library and print). Speeds are not asserted (speed lives in benchmarks, not tests); the
// reports' structure and the counts they state are.
@Suite struct BenchCommandTests {
    @Test func prefillDecodeStepAndTrainReportWhatTheyRan() throws {
        let dir = try TestPaths.tempDir("bench-cmd"); defer { try? FileManager.default.removeItem(at: dir) }
        let model = try TinyTrainingFiles(in: dir, documents: 1).model
        let prefill = try LisaBinary.run([
            "bench", "prefill", model, "--tokens", "8,16", "--repeats", "1", "--threads", "1", "--json",
        ])
        #expect(prefill.status == 0, "\(prefill.stderr)")
        let o = try #require(try JSONSerialization.jsonObject(with: Data(prefill.stdout.utf8)) as? [String: Any])
        let rows = try #require(o["results"] as? [[String: Any]])
        #expect(rows.map { $0["tokens"] as? Int } == [8, 16])
        #expect(
            rows.allSatisfy {
                ($0["tokens_per_s"] as? Double ?? 0) > 0 && ($0["capture_tokens_per_s"] as? Double ?? 0) > 0
            })
        #expect(o["threads"] as? Int == 1 && o["model"] as? String == model)
        #expect(((o["memory"] as? [String: Any])?["weights"] as? Int ?? 0) > 0)
        #expect((o["profile"] as? [Any])?.count == 4, "one profile per length, with and without capture")

        let step = try LisaBinary.run([
            "bench", "decode-step", model, "--positions", "8", "--batch", "2", "--repeats", "1",
            "--threads", "1",
        ])
        #expect(step.status == 0, "\(step.stderr)")
        #expect(step.stdout.contains("batch 2, 8 cached positions, 0 LiSA layers; medians of 1"), "\(step.stdout)")
        #expect(step.stdout.contains("whole decoding step:"))

        let train = try LisaBinary.run([
            "bench", "train", model, "--layers", "2,3", "--seq-len", "8", "--batch", "1",
            "--steps", "1", "--threads", "1",
        ])
        #expect(train.status == 0, "\(train.stderr)")
        #expect(
            train.stdout.contains("LiSA layers [2, 3]") && train.stdout.contains("batch 1 × 8 tokens"),
            "\(train.stdout)")
        #expect(
            train.stdout.contains("s per joint step") && train.stdout.contains("where the time goes, base quantized"))
        // the LM head's products are timed inside the forward and the backward: each part within its phase (on this
        // tiny model a part may print as 0.0 ms)
        func ms(_ phase: String) -> Double? {
            let line = train.stdout.split(separator: "\n").first { $0.contains(phase) }
            return line.flatMap { Double($0.split(separator: " ").dropLast().last ?? "") }
        }
        let parts = [
            ("forward through the network", "of which the LM head, logits"),
            ("backward down to the first LiSA layer", "of which the LM head, dh"),
        ]
        for (phase, part) in parts {
            let whole = try #require(ms(phase), "\(train.stdout)"), inner = try #require(ms(part), "\(train.stdout)")
            #expect(inner >= 0 && inner <= whole, "\(phase): \(whole) ms, \(part): \(inner) ms")
        }
    }
}
