import ArgumentParser

/// `lisa bench <stage>`: speed measurements, one subcommand per stage.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Measure the speed of one stage (tokenize, prefill, generate, one decoding step, a training step, roofs).",
        discussion: "Example: lisa bench prefill models/gemma-3-270m-q4_k_m.gguf --tokens 128,512 --repeats 3",
        subcommands: [
            BenchTokenize.self, BenchPrefill.self, BenchGenerate.self, BenchDecodeStep.self, BenchTrain.self,
            BenchRoof.self,
        ])
}
