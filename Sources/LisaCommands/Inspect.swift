import ArgumentParser
import GGUF

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show a GGUF model's architecture, hyper-parameters, tensors and tokenizer.")
    @Argument(help: "Path to a .gguf file.") var model: String
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let f = try GGUFFile(path: model)
        print("\(f.path): GGUF v\(f.version), \(f.architecture ?? "?"), \(f.tensors.count) tensors, \(f.metadata.count) keys")
    }
}
