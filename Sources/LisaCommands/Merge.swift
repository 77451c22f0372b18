import ArgumentParser
import Foundation
import Store
import Studies

/// `lisa merge SHARD.sqlite… --into ALL.sqlite`: the shard databases of one run → one database.
struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract:
            "Merge the shard databases of one run (`--shard I/N` of study run, eval or sensitivity) into one database.",
        discussion: "Example: lisa merge shard-0.sqlite shard-1.sqlite --into reports/lisa.sqlite")
    @Argument(help: "The shard databases, one per shard (any order).") var shards: [String] = []
    @Option(help: "The merged database (created if absent; it may hold other runs).") var into: String
    @Option(help: "The model file, for a study's Table 11 labels (default: the path the shards recorded).") var model:
        String?

    func run() throws {
        do {
            let s = try ShardMerge.merge(shards, into: into, modelPath: model)
            var line =
                "merged \(s.shards) shards of \(s.kind) \(s.name) (\(s.units) work units) into \(into): run \(s.runId)"
            if !s.metrics.isEmpty {
                line +=
                    "; "
                    + s.metrics.keys.sorted().map { k in
                        String(format: "%@ = %.4f", k, s.metrics[k]!)
                            + (s.standardErrors[k].map { String(format: " ± %.4f", $0) } ?? "")
                    }.joined(separator: ", ")
            }
            print(line)
        } catch {
            throw CLIError(sentence(error))
        }
    }
}
