import ArgumentParser
import Foundation
import Models

struct AttentionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attention",
        abstract: "Print the last-token attention probability rows of every layer and head.",
        discussion: "Example: lisa attention models/gemma-3-270m-q4_k_m.gguf --prompt \"The quick brown fox\" --json")
    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var promptOptions: PromptOptions
    @Flag(help: "Print JSON {prompt_ids, last_row[layer][head][position]}.") var json = false

    func run() throws {
        let m = try modelOptions.load(capture: true)
        let ids = try promptOptions.ids(m)
        let cap = LastRowCapture(layers: m.config.nLayers)
        _ = try m.transformer.forward(ids, cache: m.transformer.makeCache(), logits: .none, tap: cap)
        if json {
            print(try jsonLine(["prompt_ids": ids, "last_row": cap.rows.map { $0.map { $0.map(Double.init) } }]))
            return
        }
        print("prompt ids: \(ids.map(String.init).joined(separator: " "))")
        for (l, heads) in cap.rows.enumerated() {
            for (h, row) in heads.enumerated() {
                print("layer \(l) head \(h): " + row.map { String(format: "%.4f", $0) }.joined(separator: " "))
            }
        }
    }
}
