import Evaluation
import Foundation
import Testing
import TestSupport

/// Issue 19: the generic task definitions must give every built-in task byte-identical requests (contexts,
/// continuations, choice lengths, gold, references) and so identical scores. The fixtures in
/// Tests/Fixtures/task-prompts/ were written by this test from the implementation before issue 19 (the
/// per-record Swift decoders and the `{field|filter}` templates), with `LISA_WRITE_PROMPT_FIXTURES=1`:
/// the full requests of the first documents of a run, a digest of the first 200 and (0-shot) of all.
@Suite struct PromptFixtureTests {
    static let tasks = [
        "arc_easy", "boolq", "gsm8k", "hellaswag", "lambada", "mmlu", "nq_open", "openbookqa", "piqa", "triviaqa",
    ]
    static let folder = TestPaths.fixtures.appendingPathComponent("task-prompts")

    /// One request as plain JSON values, the same before and after issue 19.
    static func encode(_ r: EvalRequest, index: Int) -> [String: Any] {
        switch r {
        case let .multipleChoice(context, continuations, lengths, gold):
            return [
                "doc": index, "kind": "multiple_choice", "context": context, "continuations": continuations,
                "choiceLengths": lengths, "gold": gold,
            ]
        case let .loglikelihood(context, continuation):
            return ["doc": index, "kind": "loglikelihood", "context": context, "continuation": continuation]
        case let .generation(context, until, maxTokens, references):
            return [
                "doc": index, "kind": "generation", "context": context, "until": until, "maxTokens": maxTokens,
                "references": references,
            ]
        default:
            return ["doc": index, "kind": "other"]
        }
    }

    static func line(_ object: [String: Any]) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    /// FNV-1a 64 of the lines: enough to tell equal from different (nothing adversarial here).
    static func digest(_ lines: [String]) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in lines.joined(separator: "\n").utf8 { h = (h ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return String(format: "%016llx", h)
    }

    /// The requests of a run's first `n` documents (selectDocuments order) at `shots`.
    static func requests(_ task: EvalTask, shots: Int, n: Int) throws -> [String] {
        let docs = selectDocuments(task, options: EvalOptions(shots: shots, limit: n, seed: 1234))
        return try docs.map { try line(encode(try task.request($0, shots: shots, seed: 1234), index: $0.index)) }
    }

    static func snapshot(_ name: String) throws -> [String: Any] {
        let t = try loadTask(name)
        var out: [String: Any] = ["task": name]
        for shots in Set([0, t.spec.defaultShots]).sorted() {
            let all = try requests(t, shots: shots, n: 200)
            var entry: [String: Any] = [
                "first": all.prefix(shots == 0 ? 4 : 2).map { $0 }, "digest200": digest(all), "n": all.count,
            ]
            if shots == 0 { entry["digestAll"] = digest(try requests(t, shots: 0, n: t.records.count)) }
            out["shots\(shots)"] = entry
        }
        return out
    }

    @Test(
        .enabled(
            if: ProcessInfo.processInfo.environment["LISA_WRITE_PROMPT_FIXTURES"] == "1",
            "writes the fixtures only on request"))
    func writeFixtures() throws {
        try FileManager.default.createDirectory(at: Self.folder, withIntermediateDirectories: true)
        for name in Self.tasks {
            let data = try JSONSerialization.data(
                withJSONObject: try Self.snapshot(name), options: [.sortedKeys, .prettyPrinted])
            try data.write(to: Self.folder.appendingPathComponent("\(name).json"))
        }
    }

    @Test(arguments: tasks)
    func requestsEqualThePreIssue19Implementation(_ name: String) throws {
        let data = try Data(contentsOf: Self.folder.appendingPathComponent("\(name).json"))
        let expected = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let now = try Self.snapshot(name)
        let keys = expected.keys.filter { $0.hasPrefix("shots") }.sorted()
        #expect(!keys.isEmpty)
        #expect(keys == now.keys.filter { $0.hasPrefix("shots") }.sorted())
        for key in keys {
            let e = try #require(expected[key] as? [String: Any]), n = try #require(now[key] as? [String: Any])
            let ef = try #require(e["first"] as? [String]), nf = try #require(n["first"] as? [String])
            for (a, b) in zip(ef, nf) { #expect(a == b, "\(name) \(key)") }
            #expect(ef.count == nf.count)
            #expect(
                e["digest200"] as? String == n["digest200"] as? String, "\(name) \(key): the first 200 requests differ")
            #expect(e["n"] as? Int == n["n"] as? Int)
            #expect(
                e["digestAll"] as? String == n["digestAll"] as? String,
                "\(name) \(key): the requests of all documents differ")
        }
    }
}
