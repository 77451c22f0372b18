import Foundation
import FuzzSupport
import GGUF
import TestSupport
import Tokenizers

// Arbitrary text through both vocabularies (Gemma's SentencePiece, Qwen2.5's byte-level BPE), loaded once from
// models/: encode with and without special tokens, decode the ids, and decode ids taken from the input bytes.
let tokenizers: [any Tokenizer] = [TestPaths.gemma, TestPaths.qwen].compactMap { path in
    guard FileManager.default.fileExists(atPath: path) else {
        FileHandle.standardError.write(Data("FuzzTokenizers: \(path) absent, skipped\n".utf8)); return nil
    }
    do { return try TokenizerLoader.load(path: path) } catch { fatalError("FuzzTokenizers: \(error)") }
}

runFuzzer(seeds: { dir in
    let texts = [
        "Hello, world!", "<start_of_turn>user\nWhat is 2+2?<end_of_turn>\n<start_of_turn>model\n",
        "<|im_start|>system\nYou are helpful.<|im_end|>", "naïve café 東京 🤖  \t\n\n  ", "def f(x):\n    return x**2\n",
        "\u{0}\u{1}\u{7f}\u{ad}\u{200b}", "   leading and trailing   ", "ÄÖÜ ß Ωμέγα Привет مرحبا",
    ]
    for (i, t) in texts.enumerated() { try Data(t.utf8).write(to: dir.appendingPathComponent("text-\(i).txt")) }
}) { bytes in
    let text = String(decoding: bytes, as: UTF8.self)
    for tok in tokenizers {
        for special in [false, true] {
            let ids = tok.encode(text, addBOS: special, parseSpecial: special)
            _ = tok.decode(ids)
        }
        let raw = stride(from: 0, to: bytes.count - 1, by: 2).map {
            (Int(bytes[$0]) << 8 | Int(bytes[$0 + 1])) * 3 % tok.vocabSize
        }
        _ = tok.decode(raw)
        _ = raw.first.map { tok.piece($0) }
    }
}
