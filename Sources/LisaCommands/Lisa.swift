import Basics
import ArgumentParser
import Foundation
import Numerics
import Store

/// Entry point: chooses the BLAS kernel (may re-execute) and dispatches to the subcommands.
public enum LisaMain {
    public static func main() {
        BLASKernel.selectOrReexec()
        let args = CommandLineFixes.joinNegativeValues(Array(CommandLine.arguments.dropFirst()))
        do {
            var command = try Lisa.parseAsRoot(args)
            try command.run()
        } catch {
            // Foundation's and GRDB's own texts name neither the fault nor the file: say both.
            if FileProblem.sentence(error) != nil || LisaStore.sentence(for: error) != nil {
                Lisa.exit(withError: CLIError(sentence(error)))
            }
            let code = Lisa.exitCode(for: error)
            guard code != .success, let text = CommandLineFixes.clearer(Lisa.fullMessage(for: error)) else {
                Lisa.exit(withError: error)
            }
            FileHandle.standardError.write(Data((text + "\n").utf8))
            Lisa.exit(withError: ExitCode(code.rawValue))
        }
    }
}

/// Where swift-argument-parser's own reading of the command line misleads (issue 15).
enum CommandLineFixes {
    /// "--limit -1" reads -1 as an unknown short flag ("Missing value for '--limit'"); "--limit=-1" reaches the
    /// option, whose validate() then names the bad value. Only tokens that are negative numbers are joined.
    static func joinNegativeValues(_ args: [String]) -> [String] {
        var out: [String] = []
        var i = 0
        while i < args.count {
            let a = args[i]
            if a == "--" { out += args[i...]; break }
            if a.hasPrefix("-"), !a.contains("="), !isNegativeNumber(a), i + 1 < args.count,
                isNegativeNumber(args[i + 1])
            {
                out.append(a + "=" + args[i + 1]); i += 2; continue
            }
            out.append(a); i += 1
        }
        return out
    }

    static func isNegativeNumber(_ s: String) -> Bool {
        s.count > 1 && s.hasPrefix("-") && Double(s.dropFirst()) != nil
            && s.dropFirst().first.map { $0.isNumber || $0 == "." } == true
    }

    /// The parser's message with a hint where its own text does not say what to do; nil to keep it as is.
    static func clearer(_ message: String) -> String? {
        guard let r = message.range(of: #"Unexpected argument '[^']*'"#, options: .regularExpression) else {
            return nil
        }
        let hint =
            ": this command takes no further positional argument (a value with spaces must be quoted, "
            + "e.g. --prompt \"two words\"; a path goes to the option that expects it)"
        var text = message
        text.insert(contentsOf: hint, at: r.upperBound)
        return text
    }
}

public struct Lisa: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "lisa",
        abstract: "Measure and remove cross-layer attention redundancy in pretrained LLMs (LiSA).",
        discussion: "Example: lisa eval models/gemma-3-270m-q4_k_m.gguf --task piqa --limit 100",
        version: lisaVersion,
        subcommands: [
            Inspect.self, Tokenize.self, Generate.self, AttentionCommand.self, PerplexityCommand.self,
            DataCommand.self, Bench.self, StudyCommand.self, ReportCommand.self, ExportCommand.self,
            Eval.self, SensitivityCommand.self, Recommend.self, Table9Command.self, Table2Command.self, Train.self, SiteCommand.self,
            FindingsCommand.self, MergeCommand.self, SlurmCommand.self,
        ])
    public init() {}
}

public let lisaVersion = "0.1.0"
