import Models
import Store

/// What a stored study result holds (the `results.kind` column). Writers and readers name a kind only through
/// this enum, so a misspelt kind is a compile error rather than a result that is silently never found.
public enum ResultKind: Hashable, Sendable {
    case s1, s1ExclFirst, s2, twoSentence, topK, distributions, cosine
    /// Fig 13 / Table 11 generation: the top-k keys at generation step n.
    case topKStep(Int)
    /// A sensitivity study's sweep of one task.
    case sensitivity
    /// Run-wide facts, stored under the task `RunFacts.model` / `RunFacts.machine`.
    case layout, loadavg

    public var rawValue: String {
        switch self {
        case .s1: return "s1"
        case .s1ExclFirst: return "s1_excl_first"
        case .s2: return "s2"
        case .twoSentence: return "two_sentence"
        case .topK: return "top_k"
        case .distributions: return "distributions"
        case .cosine: return "cosine"
        case .topKStep(let n): return "top_k_step\(n)"
        case .sensitivity: return "sensitivity"
        case .layout: return "layout"
        case .loadavg: return "loadavg"
        }
    }

    static let simple: [ResultKind] = [
        .s1, .s1ExclFirst, .s2, .twoSentence, .topK, .distributions, .cosine, .sensitivity,
        .layout, .loadavg,
    ]

    public init?(rawValue: String) {
        if let k = Self.simple.first(where: { $0.rawValue == rawValue }) { self = k; return }
        guard rawValue.hasPrefix("top_k_step"), let n = Int(rawValue.dropFirst("top_k_step".count)) else { return nil }
        self = .topKStep(n)
    }
}

/// The task names under which a run's facts (not a task's results) are stored.
public enum RunFacts {
    public static let model = "_model"
    public static let machine = "_machine"
}

extension ResultRecord {
    /// The record's kind, nil for a kind this build does not know (a newer tool's database).
    public var resultKind: ResultKind? { ResultKind(rawValue: kind) }
}

extension LisaStore {
    func putResult<T: Encodable>(_ value: T, kind: ResultKind, runId: Int64, task: String, sampleId: Int64 = 0) throws {
        try putResult(
            runId: runId, task: task, kind: kind.rawValue, sampleId: sampleId, value: ResultJSON.encode(value))
    }

    /// The stored result of `kind`, decoded; nil when the run has none.
    func result<T: Decodable>(
        _ type: T.Type, kind: ResultKind, runId: Int64, task: String, sampleId: Int64 = 0
    ) throws -> T? {
        try result(runId: runId, task: task, kind: kind.rawValue, sampleId: sampleId).map {
            try ResultJSON.decode(type, $0)
        }
    }
}

extension LisaStore {
    /// Records which layers of `config`'s model are global (full attention), for the plots' markers.
    func putLayout(runId: Int64, config: ModelConfig) throws {
        let globals = config.isSlidingLayer.enumerated().filter { !$0.element && config.slidingWindow != nil }.map(
            \.offset)
        try putResult(["globalLayers": globals], kind: .layout, runId: runId, task: RunFacts.model)
    }

    /// The global layers `putLayout` recorded (none for a run without a sliding window, or stored before layouts were).
    func globalLayers(runId: Int64) -> [Int] {
        ((try? result([String: [Int]].self, kind: .layout, runId: runId, task: RunFacts.model)) ?? nil)?["globalLayers"]
            ?? []
    }
}
