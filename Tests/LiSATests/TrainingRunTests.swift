import Foundation
import LiSA
import Testing

// The run plan of `lisa train` (LiSATraining.run's config): the paper's recipe as the default (issue 18, item 1).
@Suite struct TrainingRunTests {
    func config(tokens: Int, seqLen: Int = 640, batch: Int = 4) -> TrainingRunConfig {
        var c = TrainingRunConfig(model: "m.gguf", tokens: tokens, out: URL(fileURLWithPath: "/tmp/x"), corpora: [])
        c.seqLen = seqLen; c.batch = batch
        return c
    }

    @Test func defaultsAreThePapersRecipe() {
        let c = config(tokens: 1)
        #expect(c.phase == .joint && c.localSteps == 0)  // joint from the first step (§5.1)
        #expect(c.beta == 0.25 && c.lr == 3e-4)  // β, peak lr (Appendix C.1)
        #expect(c.seqLen > 512)  // beyond Gemma's sliding window
        // warm-up: 1,500 of 40,000 steps, scaled; at least one step
        #expect(TrainingRunConfig.defaultWarmup(steps: 40_000) == 1500)
        #expect(TrainingRunConfig.defaultWarmup(steps: 100) == 4)  // 3.75 → 4
        #expect(TrainingRunConfig.defaultWarmup(steps: 10) == 1)  // 0.375 → at least 1
    }

    @Test func stepsAndPhasesByHand() {
        var c = config(tokens: 10_000, seqLen: 100, batch: 4)  // ceil(10000 / 400) = 25 steps
        #expect(c.steps == 25)
        c.phase = .both; c.jointShare = 0.25  // 25 − round(6.25) = 19 local, 6 joint
        #expect(c.localSteps == 19)
        c.phase = .local
        #expect(c.localSteps == 25)
        #expect(config(tokens: 401, seqLen: 100, batch: 4).steps == 2)
    }
}
