import Foundation
import FuzzSupport
import GGUF
import Models
import TestSupport
import Tokenizers

// The GGUF reader: header, metadata, tensor table; when a file parses, its tokenizer and a two-token forward
// pass of the model it describes (seeds: tiny llama / gemma3 / qwen2 files in f32 and q8_0).
runFuzzer(seeds: { dir in
    for arch in ["llama", "gemma3", "qwen2"] {
        for type in [GGMLType.f32, .q8_0] {
            var m = TinyModel(arch: arch)
            (m.nLayers, m.nEmbd, m.nHeads, m.nKVHeads, m.headDim, m.nFF, m.vocab, m.context) = (
                2, 32, 2, 1, 16, 32, 270, 64
            )
            m.weightType = type
            try m.write(to: dir.appendingPathComponent("tiny-\(arch)-\(type).gguf").path)
        }
    }
}) { bytes in
    let url = writeScratch(bytes)
    guard let f = try? GGUFFile(path: url.path) else { return }
    _ = f.tensors.map { f.rawBytes($0).count }
    if let tok = try? TokenizerLoader.load(from: f) {
        let ids = tok.encode("Hello <s> wörld", addBOS: true, parseSpecial: true)
        _ = tok.decode(ids + [0, tok.vocabSize - 1])
    }
    guard bytes.count < 4 << 20, let model = try? Transformer(gguf: f) else { return }
    _ = try? model.forward([0, 1], cache: model.makeCache())
}
