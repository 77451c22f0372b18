import Foundation
import TestSupport
import Testing

/// End-to-end runs of the built `lisa` binary on the real Gemma model.
@Suite struct CommandTests {
    func json(_ s: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(s.utf8)) as! [String: Any]
    }

    /// The binary these tests run is the one built with them: debug under `swift test`, release under
    /// `swift test -c release` (SwiftPM defines DEBUG in debug builds only).
    @Test func binaryIsTheConfigurationUnderTest() throws {
        #if DEBUG
        let configuration = "debug"
        #else
        let configuration = "release"
        #endif
        let lisa = try LisaBinary.executable()
        #expect(lisa.deletingLastPathComponent().lastPathComponent == configuration, "\(lisa.path)")
        #expect(FileManager.default.isExecutableFile(atPath: lisa.path))
    }

    /// Greedy `lisa generate --weights f32` reproduces llama.cpp's dequant_f32 greedy tokens for oracle prompt 0
    /// up to where llama.cpp's own configs fork (the quantized path's greedy check, which allows for near ties of
    /// 8-bit activations, is QuantizedAccuracyTests).
    @Test(.needsGemma) func generateMatchesLlamaCppGreedy() throws {
        let oracle = try TestPaths.oracleJSON("logits_gemma3.json") as! [String: Any]
        let p = oracle.arr("prompts")[0] as! [String: Any]
        let results = p.dict("results")
        let ref = (results["dequant_f32"] as! [String: Any]).dict("greedy16").ints("ids")
        let primary = (results["f32kv_nofa"] as! [String: Any]).dict("greedy16").ints("ids")
        let agree = zip(ref, primary).prefix { $0 == $1 }.count
        let r = try LisaBinary.run([
            "generate", TestPaths.gemma, "--prompt", p["text"] as! String, "-n", "\(agree)", "--greedy", "--json",
            "--ignore-eos",
            "--weights", "f32",
        ])
        #expect(r.status == 0, "\(r.stderr)")
        let out = try json(r.stdout)
        #expect(out.ints("prompt_ids") == p.ints("ids"))
        #expect(out.ints("ids") == Array(ref.prefix(agree)))
        #expect((out["text"] as! String).count > 0)
    }

    /// `lisa attention --json` rows equal the transformers oracle's for the "short" prompt.
    @Test(.needsGemma) func attentionJSONMatchesTransformers() throws {
        let oracle = try TestPaths.oracleJSON("attention_gemma3.json") as! [String: Any]
        let p = (oracle.arr("prompts") as! [[String: Any]]).first { $0["name"] as? String == "short" }!
        let r = try LisaBinary.run(["attention", TestPaths.gemma, "--prompt", p["text"] as! String, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let out = try json(r.stdout)
        #expect(out.ints("prompt_ids") == p.ints("token_ids"))
        let ours = out.arr("last_row"), theirs = p.arr("last_row")
        try #require(ours.count == theirs.count, "layers: \(ours.count) vs the oracle's \(theirs.count)")
        var worst = 0.0
        for l in ours.indices {
            let oursL = ours[l] as! [Any], theirsL = theirs[l] as! [Any]
            try #require(oursL.count == theirsL.count, "layer \(l): \(oursL.count) heads vs \(theirsL.count)")
            for h in oursL.indices {
                let a = doubles(oursL[h]), b = doubles(theirsL[h])
                try #require(a.count == b.count, "layer \(l) head \(h): \(a.count) keys vs \(b.count)")
                for k in a.indices { worst = max(worst, abs(a[k] - b[k])) }
            }
        }
        #expect(ours.count == 18 && worst <= 2e-3)
    }

    /// A re-executed probe process verifies its kernel before running (the BLAS kernel choice path).
    @Test(.enabled(if: BLASFlags.hasAVX2, "this CPU has no AVX2, so OpenBLAS cannot run its Haswell kernel"))
    func blasProbeRunsSelfCheckAndKeepsKernel() throws {
        let r = try LisaBinary.run(
            ["inspect", "--system"],
            environment: [
                "OPENBLAS_CORETYPE": "HASWELL", "LISA_BLAS_PROBE": "1", "LISA_BLAS_REMAINING": "",
                "LISA_BLAS_DETECTED": "PRESCOTT",
            ])
        #expect(r.status == 0)
        #expect(r.stdout.contains("kernel Haswell (OPENBLAS_CORETYPE=HASWELL)"))
    }

    @Test(.needsGemma) func badInputGivesClearErrors() throws {
        let missing = try LisaBinary.run(["generate", "/nonexistent/model.gguf", "--prompt", "x"])
        #expect(missing.status != 0 && missing.stderr.contains("/nonexistent/model.gguf"))
        let both = try LisaBinary.run(["generate", TestPaths.gemma, "--prompt", "x", "--prompt-file", "y"])
        #expect(both.status != 0 && both.stderr.contains("exactly one of --prompt and --prompt-file"))
        let badN = try LisaBinary.run(["generate", TestPaths.gemma, "--prompt", "x", "-n", "0"])
        #expect(badN.status != 0 && badN.stderr.contains("-n must be at least 1"))
        let short = try TestPaths.tempDir("ppl").appendingPathComponent("short.txt")
        try "just a few words\n".write(to: short, atomically: true, encoding: .utf8)
        let ppl = try LisaBinary.run(["perplexity", TestPaths.gemma, "--file", short.path, "-c", "128"])
        #expect(ppl.status != 0 && ppl.stderr.contains("fewer than two chunks"))
        let notGGUF = try LisaBinary.run(["attention", short.path, "--prompt", "x"])
        #expect(notGGUF.status != 0 && notGGUF.stderr.contains("not a GGUF file"))
    }
}

enum BLASFlags {
    static var hasAVX2: Bool {
        (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?.contains(" avx2") ?? false
    }
}
