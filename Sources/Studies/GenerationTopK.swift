import Analysis
import Foundation
import Models
import Store

// Table 11 columns "1" and "1024" (FIGURES.md Table 11): a story prompt decoded greedily with EOS
// ignored; step s is the forward whose query is the token at position T₀ − 1 + (s − 1). For each step the
// top-5 keys of the head-averaged row per layer (ties → lower index). Gemma prepends BOS (indices +1).

/// The generation part of a study file.
public struct StudyGeneration: Codable, Sendable {
    public var prompt: String
    public var steps: [Int]
}

public struct GenerationTopKResult: Codable {
    public var prompt: String
    public var promptTokens: Int
    public var step: Int
    public var generated: String
    public var topK: TopKResult
}

enum GenerationTopK {
    /// Runs the generation once per run (skipped when its results are stored) and stores one result per step.
    static func run(_ g: StudyGeneration, model m: LoadedModel, store: LisaStore, runId: Int64) throws {
        let kinds = g.steps.map { ResultKind.topKStep($0).rawValue }
        if try kinds.allSatisfy({ try store.result(runId: runId, task: "story", kind: $0) != nil }) { return }
        let ids = m.encode(g.prompt)
        // Models' StepRowCapture counts the first decode forward as step 1 (query at T₀); FIGURES.md's step s
        // has its query at T₀ − 1 + (s − 1), i.e. StepRowCapture step s − 1 (step 0 = the prompt's last row).
        let caps = g.steps.map { StepRowCapture(layers: m.config.nLayers, promptLength: ids.count, step: $0 - 1) }
        let res = try m.transformer.generate(
            promptIDs: ids, tokenizer: m.tokenizer,
            options: GenerationOptions(maxTokens: g.steps.max() ?? 1, stopAtEOS: false),
            tap: TapGroup(caps))
        let all = ids + res.ids
        for (cap, step) in zip(caps, g.steps) where cap.captured {
            let probs = lastRows(cap.rows)
            let layers = probs.map { layer -> [TopEntry] in
                let mean = headMean(layer)
                return topAttended(mean, k: 5).map {
                    TopEntry(index: $0, weight: mean[$0], piece: m.tokenizer.piece(all[$0]))
                }
            }
            let r = GenerationTopKResult(
                prompt: g.prompt, promptTokens: ids.count, step: step, generated: res.text,
                topK: TopKResult(recordIndex: -1, nTokens: ids.count + step - 1, layers: layers))
            try store.putResult(r, kind: .topKStep(step), runId: runId, task: "story")
        }
    }
}
