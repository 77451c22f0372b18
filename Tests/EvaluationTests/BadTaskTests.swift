import Datasets
import Evaluation
import Foundation
import Models
import Testing
import TestSupport

/// Issue 15: task files, task names, gold indices, metrics and sharing configs that were unclear or silently accepted.
@Suite struct BadTaskTests {
    static let piqa = """
        {"name": "piqa", "dataFile": "piqa/validation.jsonl", "outputType": "multiple_choice",
         "fields": {"goal": "string", "sol1": "string", "sol2": "string", "label": {"type": "int", "oneOf": [0, 1]}},
         "docToText": "Question: {{goal}}\\nAnswer:", "docToTarget": "{{label}}", "docToChoice": ["{{sol1}}", "{{sol2}}"],
         "defaultShots": 0, "primaryMetric": "acc_norm"}
        """

    func folder(_ tasks: [String: String]) throws -> TasksFolder {
        let dir = try TestPaths.tempDir("tasks")
        for (name, text) in tasks {
            try text.write(to: dir.appendingPathComponent("\(name).json"), atomically: true, encoding: .utf8)
        }
        return try TasksFolder(path: dir.path)
    }

    /// Issue 19: record kinds are gone; a task file written for them says what replaces the key.
    @Test func retiredRecordKeyNamesItsReplacement() throws {
        let f = try folder([
            "odd": Self.piqa.replacingOccurrences(of: "\"outputType\"", with: "\"record\": \"piqa\", \"outputType\"")
        ])
        let path = f.url.appendingPathComponent("odd.json").path
        #expect(
            throws: EvalError.badTaskFile(
                path: path,
                reason: "the field \"record\" is no longer read: declare the data file's fields "
                    + "under \"fields\" instead (docs/evaluation.md: adding a task)")
        ) { try f.spec("odd") }
        let typo = try folder(["odd": Self.piqa.replacingOccurrences(of: "\"docToTarget\"", with: "\"docTotarget\"")])
        #expect(throws: (any Error).self) { try typo.spec("odd") }
        do { _ = try typo.spec("odd") } catch {
            #expect("\(error)".contains("the field \"docTotarget\" is not a task file key (name, source,"))
        }
    }

    @Test func primaryMetricMustBeOneTheTaskReports() throws {
        let f = try folder(["odd": Self.piqa.replacingOccurrences(of: "acc_norm", with: "f1")])
        let path = f.url.appendingPathComponent("odd.json").path
        #expect(
            throws: EvalError.badTaskFile(
                path: path, reason: "primaryMetric \"f1\" is not one of the task's metrics (acc, acc_norm)")
        ) {
            try f.spec("odd")
        }
    }

    @Test(arguments: ["../piqa", "sub/piqa", "/abs/piqa", ".hidden", ""])
    func taskNameWithAPathIsRefused(_ name: String) throws {
        let f = try folder(["piqa": Self.piqa])
        let expected = EvalError.taskNameIsAPath(name: name, folder: f.url.path)
        #expect(throws: expected) { try f.spec(name) }
        #expect(
            expected.description.hasPrefix(
                "--task \(name.debugDescription) is not a task name: give the name of a file in \(f.url.path)"))
    }

    @Test func taskFileThatIsADirectoryIsNamed() throws {
        let f = try folder([:])
        let dir = f.url.appendingPathComponent("piqa.json")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        #expect(
            throws: EvalError.badTaskFile(path: dir.path, reason: "it cannot be read: it is a directory, not a file")
        ) { try f.spec("piqa") }
    }

    @Test func goldIndexOutsideTheChoicesIsNamed() throws {
        let spec = try folder([
            "arc": """
            {"name": "arc_easy", "dataFile": "arc_easy/test.jsonl", "outputType": "multiple_choice",
             "docToText": "Question: {{question}}\\nAnswer:", "docToTarget": "{{answer}}", "docToChoice": "{{choices}}",
             "defaultShots": 0, "primaryMetric": "acc_norm"}
            """
        ]).spec("arc")
        let doc = Document(
            index: 4, fields: ["question": .text("q"), "choices": .list(["a", "b", "c"]), "answer": .number(3)])
        let task = EvalTask(spec: spec, records: [doc], pool: [])
        let expected = EvalError.goldOutsideChoices(task: "arc_easy", document: 4, gold: 3, choices: 3)
        #expect(throws: expected) { try task.gold(doc) }
        #expect(
            expected.description
                == "Task arc_easy, document 4 (line 5 of the data file): the gold index 3 is not one of its 3 "
                + "choices (0 to 2)."
        )
        let ok = Document(
            index: 0, fields: ["question": .text("q"), "choices": .list(["a", "b", "c"]), "answer": .number(2)])
        #expect(try task.gold(ok) == 2)
    }

    @Test func metricNamesPerOutputType() throws {
        #expect(try loadTask("piqa").spec.metricNames == ["acc", "acc_norm"])
        #expect(try loadTask("lambada").spec.metricNames == ["acc", "perplexity"])
        #expect(try loadTask("gsm8k").spec.metricNames == ["exact_match", "exact_match_flexible"])
        #expect(
            EvalError.unknownMetric(task: "piqa", metric: "f1", known: ["acc", "acc_norm"]).description
                == "Task piqa has no metric \"f1\"; its metrics are acc, acc_norm.")
    }

    func sharing(_ text: String) throws -> String {
        let p = try TestPaths.tempDir("sharing").appendingPathComponent("c.json").path
        try text.write(toFile: p, atomically: true, encoding: .utf8)
        return p
    }

    @Test func sharingConfigThatIsAnArrayIsNamed() throws {
        let p = try sharing("[{\"index\": 3, \"mode\": \"ds\", \"source\": 2}]")
        #expect(
            throws: ModelError.badSharingConfig(
                path: p, reason: "the top level should be an object (key: value pairs), not an array")
        ) {
            try SharingConfig.load(path: p)
        }
    }

    @Test func sharingConfigUnknownModeListsTheModes() throws {
        let p = try sharing(
            #"{"model_sha256": "00", "arch": "gemma3", "n_layers": 18, "layers": [{"index": 3, "mode": "share", "source": 2, "reason": ""}]}"#
        )
        #expect(
            throws: ModelError.badSharingConfig(
                path: p, reason: "the field \"layers[0].mode\" is \"share\", not one of the modes standard, ds, lisa")
        ) {
            try SharingConfig.load(path: p)
        }
    }

    @Test func sharingConfigWrongTypeReadsInWords() throws {
        let p = try sharing(#"{"model_sha256": "00", "arch": "gemma3", "n_layers": "18", "layers": []}"#)
        #expect(
            throws: ModelError.badSharingConfig(
                path: p, reason: "the field \"n_layers\" should be an integer, not a string")
        ) {
            try SharingConfig.load(path: p)
        }
    }
}
