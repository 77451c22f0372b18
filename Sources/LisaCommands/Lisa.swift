import ArgumentParser
import Numerics

/// Entry point: chooses the BLAS kernel (may re-execute) and dispatches to the subcommands.
public enum LisaMain {
    public static func main() {
        BLASKernel.selectOrReexec()
        Lisa.main()
    }
}

public struct Lisa: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "lisa",
        abstract: "Measure and remove cross-layer attention redundancy in pretrained LLMs (LiSA).",
        version: lisaVersion,
        subcommands: [Inspect.self, Tokenize.self, Generate.self, AttentionCommand.self, PerplexityCommand.self,
                      DataCommand.self, Bench.self, StudyCommand.self, ReportCommand.self, ExportCommand.self,
                      Eval.self, SensitivityCommand.self, Recommend.self, Table9Command.self, Train.self])
    public init() {}
}

public let lisaVersion = "0.1.0"
