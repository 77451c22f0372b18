import Datasets
import Foundation
import Tokenizers

/// Fixed-length training windows from a JSONL corpus with a "text" field (text_corpus/train.jsonl),
/// tokenized once, in file order: the documents' tokens (no BOS) are concatenated and cut into windows of
/// seqLen − 1, each prefixed with BOS when the tokenizer has one. Deterministic; no shuffling.
public struct TrainingWindows {
    public let windows: [[Int]]

    struct Record: JSONLRecord { let text: String }

    /// Tokenizes documents until `count` windows exist (or the corpus ends).
    public init(corpus url: URL, tokenizer: any Tokenizer, seqLen: Int, count: Int) throws {
        let bos = tokenizer.bosID
        let body = bos == nil ? seqLen : seqLen - 1
        let lines = try readLines(url)
        var stream: [Int] = [], out: [[Int]] = []
        let decoder = JSONDecoder()
        for line in lines where out.count < count {
            let r = try decoder.decode(Record.self, from: Data(line.utf8))
            stream += tokenizer.encode(r.text, addBOS: false, parseSpecial: false)
            var start = 0
            while stream.count - start >= body, out.count < count {
                out.append((bos.map { [$0] } ?? []) + stream[start..<(start + body)])
                start += body
            }
            stream.removeFirst(start)
        }
        windows = out
    }

    /// The batch of update `step` (windows reused cyclically when the corpus is shorter than the run).
    public func batch(step: Int, size: Int) -> [[Int]] {
        (0..<size).map { windows[(step * size + $0) % windows.count] }
    }
}
