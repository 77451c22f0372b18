import Foundation

// Similarity-study inputs (paper §3.1 and Table 11; FIGURES.md C7 "Capture inputs", whose defaults are
// followed exactly here). No BOS or chat template is added here: the tokenizer adds its default specials.

/// The four tasks of the similarity study, in the paper's §3.1 order (FIGURES.md Fig 3 columns).
public enum StudyTask: String, CaseIterable, Sendable {
    case piqa, wmt, wec, gsm8k

    /// The file each task samples from (FIGURES.md C7: PIQA validation; WMT24 en→de short500;
    /// WEC-Eng dev; GSM8K test for §3 — Fig 9 uses the train split).
    public var defaultFile: String {
        switch self {
        case .piqa: return "piqa/validation.jsonl"
        case .wmt: return "wmt/wmt24_en-de_en-zh.short500.jsonl"
        case .wec: return "wec/dev.jsonl"
        case .gsm8k: return "gsm8k/test.jsonl"
        }
    }
}

/// One study input: the task, the record's 0-based position in its file, and the prompt text.
public struct StudyInput: Equatable, Sendable {
    public let task: StudyTask
    public let recordIndex: Int
    public let text: String
}

/// PIQA (FIGURES.md C7): `Q: {goal}\nA: {correct solution}\n`.
public func piqaStudyPrompt(_ r: PIQARecord) -> String {
    "Q: \(r.goal)\nA: \(r.correctSolution)\n"
}

/// WMT (FIGURES.md C7): `Translate English to German.\nEnglish: {src}\nGerman:`.
public func wmtStudyPrompt(_ r: WMT24Record) -> String {
    "Translate English to German.\nEnglish: \(r.src)\nGerman:"
}

/// WEC (FIGURES.md C7): `{context}\nQuestion: Which event does "{tokens_str}" refer to?\nAnswer:`.
public func wecStudyPrompt(_ r: WECRecord) -> String {
    "\(r.context)\nQuestion: Which event does \"\(r.tokensStr)\" refer to?\nAnswer:"
}

/// GSM8K (FIGURES.md C7): the 8 chain-of-thought exemplars, then `Q: {question}\nA:`. Exemplars are
/// written `Q: {question}\nA: {answer}` and joined by a blank line, lm-eval's few-shot layout
/// (target delimiter " ", few-shot delimiter "\n\n").
public func gsm8kStudyPrompt(_ r: GSM8KRecord) -> String {
    gsm8kChainOfThoughtPrefix + "Q: \(r.question)\nA:"
}

/// The 8 exemplars joined, followed by the "\n\n" that separates them from the question.
public let gsm8kChainOfThoughtPrefix: String =
    gsm8kChainOfThoughtExemplars.map { "Q: \($0.question)\nA: \($0.answer)" }.joined(separator: "\n\n") + "\n\n"

/// The 8 chain-of-thought exemplars of Wei et al. 2022 (Table 20), as used by lm-eval `gsm8k_cot`.
public let gsm8kChainOfThoughtExemplars: [(question: String, answer: String)] = [
    (
        "There are 15 trees in the grove. Grove workers will plant trees in the grove today. After they are done, "
            + "there will be 21 trees. How many trees did the grove workers plant today?",
        "There are 15 trees originally. Then there were 21 trees after some more were planted. So there must have "
            + "been 21 - 15 = 6. The answer is 6."
    ),
    (
        "If there are 3 cars in the parking lot and 2 more cars arrive, how many cars are in the parking lot?",
        "There are originally 3 cars. 2 more cars arrive. 3 + 2 = 5. The answer is 5."
    ),
    (
        "Leah had 32 chocolates and her sister had 42. If they ate 35, how many pieces do they have left in total?",
        "Originally, Leah had 32 chocolates. Her sister had 42. So in total they had 32 + 42 = 74. After eating 35, "
            + "they had 74 - 35 = 39. The answer is 39."
    ),
    (
        "Jason had 20 lollipops. He gave Denny some lollipops. Now Jason has 12 lollipops. How many lollipops did "
            + "Jason give to Denny?",
        "Jason started with 20 lollipops. Then he had 12 after giving some to Denny. So he gave Denny 20 - 12 = 8. "
            + "The answer is 8."
    ),
    (
        "Shawn has five toys. For Christmas, he got two toys each from his mom and dad. How many toys does he have "
            + "now?",
        "Shawn started with 5 toys. If he got 2 toys each from his mom and dad, then that is 4 more toys. 5 + 4 = 9. "
            + "The answer is 9."
    ),
    (
        "There were nine computers in the server room. Five more computers were installed each day, from monday to "
            + "thursday. How many computers are now in the server room?",
        "There were originally 9 computers. For each of 4 days, 5 more computers were added. So 5 * 4 = 20 computers "
            + "were added. 9 + 20 is 29. The answer is 29."
    ),
    (
        "Michael had 58 golf balls. On tuesday, he lost 23 golf balls. On wednesday, he lost 2 more. How many golf "
            + "balls did he have at the end of wednesday?",
        "Michael started with 58 golf balls. After losing 23 on tuesday, he had 58 - 23 = 35. After losing 2 more, "
            + "he had 35 - 2 = 33 golf balls. The answer is 33."
    ),
    (
        "Olivia has $23. She bought five bagels for $3 each. How much money does she have left?",
        "Olivia had 23 dollars. 5 bagels for 3 dollars each will be 5 x 3 = 15 dollars. So she has 23 - 15 dollars "
            + "left. 23 - 15 is 8. The answer is 8."
    ),
]

/// `n` seeded study inputs for `task` (default 100, FIGURES.md C7), read from `file` (default: the
/// task's `defaultFile`) in the data dir.
public func studyInputs(
    _ task: StudyTask, data: DataDirectory, n: Int = defaultSampleSize, seed: UInt64,
    file: String? = nil
) throws -> [StudyInput] {
    let url = try data.file(file ?? task.defaultFile)
    func build<R: JSONLRecord>(_ type: R.Type, _ prompt: (R) -> String) throws -> [StudyInput] {
        try sample(readJSONL(R.self, from: url), n: n, seed: seed, file: url.path)
            .map { StudyInput(task: task, recordIndex: $0.index, text: prompt($0.record)) }
    }
    switch task {
    case .piqa: return try build(PIQARecord.self, piqaStudyPrompt)
    case .wmt: return try build(WMT24Record.self, wmtStudyPrompt)
    case .wec: return try build(WECRecord.self, wecStudyPrompt)
    case .gsm8k: return try build(GSM8KRecord.self, gsm8kStudyPrompt)
    }
}
