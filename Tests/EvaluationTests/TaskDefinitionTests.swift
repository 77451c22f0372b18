import Datasets
import Evaluation
import Foundation
import Testing
import TestSupport

/// Issue 19: templates reach any field (nested objects, list items, joins), with lm-eval's Jinja semantics; the task
/// file declares the data file's fields, and a bad record is an error naming file:line and the field — the same
/// errors the Swift record decoders give (compared below on the PIQA and MMLU records).
@Suite struct TaskDefinitionTests {
    static let doc = Document(
        index: 6,
        fields: [
            "title": "  A_b c  ", "n": 2, "flag": true, "none": .null, "key": "C",
            "words": ["it's", "the", "end"], "labels": ["A", "B", "C"], "nums": [1, 2],
            "meta": .object([
                "source": .object(["name": "wiki", "tags": ["x", "y"]]),
                "people": .list([.object(["name": "Ann"]), .object(["name": "Bo"])]),
            ]),
            "text": "one two three",
        ], file: "/data/t.jsonl")

    func render(_ t: String) throws -> String { try Template.render(t, Self.doc, task: "t") }

    @Test(arguments: [
        ("{{meta.source.name}}", "wiki"),  // nested objects
        ("{{meta.source.tags[1]}}/{{meta.people[1].name}}", "y/Bo"),  // list items, a list of objects
        ("{{words[-1]}} {{words[0]}}", "end it's"),  // negative index
        ("{{words|join(', ')}}", "it's, the, end"),  // join
        ("{{', '.join(labels)}}", "A, B, C"),  // Python's str.join
        ("{{words[:2]|join('+')}}|{{words[1:]|join('')}}", "it's+the|theend"),  // slices
        ("{{text.split(' ')[:-1]|join(' ')}}", "one two"),  // lambada's context
        ("{{' ' + text.split(' ')[-1]}}", " three"),  // lambada's target
        ("[{{title.strip()}}] [{{title|trim|replace('_', ' ')|upper}}]", "[A_b c] [A B C]"),
        ("{{labels.index(key)}} {{['x', 'y', 'z'][n]}} {{n + 1}} {{n - 3}}", "2 z 3 -1"),
        ("{{flag}} {{none}} {{nums}} {{words}}", "True None [1, 2] [\"it's\", 'the', 'end']"),  // Python str()/repr()
        ("{{title|trim|lower|capitalize}} {{words|length}} {{words|first}}{{words|last}}", "A_b c 3 it'send"),
        ("{{ (words[0] ~ ': ' ~ n)|upper }}", "IT'S: 2"),
        ("{{text|regex_replace('t(\\\\w+)', 'T\\\\1')}}", "one Two Three"),
        ("{ not an expression } {{'{{'}}", "{ not an expression } {{"),
    ])
    func jinjaSubset(_ template: String, _ expected: String) throws {
        #expect(try render(template) == expected)
    }

    @Test func valuesKeepTheirTypes() throws {
        #expect(try Template.value("{{labels.index(key)}}", Self.doc, task: "t") as? Int == 2)
        #expect(try Template.list("{{meta.source.tags}}", Self.doc, task: "t") == ["x", "y"])
        #expect(try Template.list("{{[key, words[1]]}}", Self.doc, task: "t") == ["C", "the"])
        #expect(try Template.list("labels", Self.doc, task: "t") == ["A", "B", "C"])  // a bare field name
        #expect(try Template.value("{{n|int - 1}}", Self.doc, task: "t") as? Int == 1)
    }

    @Test func aFieldTheDocumentLacksNamesFileLineAndField() throws {
        #expect(
            throws: EvalError.missingDocumentField(
                task: "t", file: "/data/t.jsonl", line: 7, field: "meta.source.year",
                template: "Q: {{meta.source.year}}")
        ) {
            try render("Q: {{meta.source.year}}")
        }
        #expect(
            EvalError.missingDocumentField(task: "t", file: "/data/t.jsonl", line: 7, field: "x", template: "{{x}}")
                .description
                == "/data/t.jsonl:7: the record has no field \"x\", which the template \"{{x}}\" of task t reads.")
        #expect(
            throws: EvalError.badTemplate(
                task: "t", template: "{{labels.index('Z')}}",
                reason: "fails on document 6 (line 7): 'Z' is not in list")
        ) {
            try render("{{labels.index('Z')}}")
        }
    }

    // MARK: declared fields

    func file(_ lines: [String]) throws -> URL {
        let u = try TestPaths.tempDir("fields").appendingPathComponent("d.jsonl")
        try (lines.joined(separator: "\n") + "\n").write(to: u, atomically: true, encoding: .utf8)
        return u
    }

    static let schema = RecordSchema([
        "q": FieldSpec(type: .string),
        "choices": FieldSpec(
            type: .object(["text": FieldSpec(type: .list(.string)), "label": FieldSpec(type: .list(.string))])),
        "gold": FieldSpec(type: .int, indexOf: "options"),
        "options": FieldSpec(type: .list(.string)),
        "note": FieldSpec(type: .string, optional: true),
    ])

    @Test func nestedFieldsAreCheckedWithFileLineAndPath() throws {
        let good = #"{"q": "x", "choices": {"text": ["a"], "label": ["A"]}, "gold": 0, "options": ["a", "b"]}"#
        let bad: [(String, (String) -> DatasetError)] = [
            (
                #"{"q": "x", "choices": {"label": ["A"]}, "gold": 0, "options": ["a"]}"#,
                { .missingField(file: $0, line: 2, field: "choices.text") }
            ),
            (
                #"{"q": "x", "choices": {"text": ["a", 3], "label": ["A"]}, "gold": 0, "options": ["a"]}"#,
                { .wrongType(file: $0, line: 2, field: "choices.text[1]", expected: "a string") }
            ),
            (
                #"{"q": "x", "choices": {"text": [], "label": []}, "gold": 2, "options": ["a", "b"]}"#,
                { .invalidValue(file: $0, line: 2, field: "gold", reason: "is 2 but there are 2 options") }
            ),
            (
                #"{"q": null, "choices": {"text": [], "label": []}, "gold": 0, "options": ["a"]}"#,
                { .wrongType(file: $0, line: 2, field: "q", expected: "a string") }
            ),
            (
                #"{"q": "x", "choices": [], "gold": 0, "options": ["a"]}"#,
                { .wrongType(file: $0, line: 2, field: "choices", expected: "a JSON object") }
            ),
            (
                #"{"q": "x", "choices": {"text": [], "label": []}, "gold": 0, "options": ["a"], "note": 5}"#,
                { .wrongType(file: $0, line: 2, field: "note", expected: "a string") }
            ),
            (#"["q"]"#, { .badJSON(file: $0, line: 2, reason: "expected a JSON object at the top level") }),
        ]
        for (line, error) in bad {
            let u = try file([good, line])
            #expect(throws: error(u.path)) { try Document.load(url: u, schema: Self.schema) }
        }
        let u = try file([
            good, #"{"q": "y", "choices": {"text": [], "label": []}, "gold": 1, "options": ["a", "b"], "note": null}"#,
        ])
        let docs = try Document.load(url: u, schema: Self.schema)
        #expect(docs.count == 2 && docs[1].value(at: "options[1]") == "b" && docs[1].file == u.path)
    }

    /// The task files' declared fields reject what the Swift record types reject, with the same sentences.
    @Test(arguments: [
        #"{"goal": "g", "sol1": "a", "sol2": "b"}"#,
        #"{"goal": "g", "sol1": "a", "sol2": 7, "label": 0}"#,
        #"{"goal": "g", "sol1": "a", "sol2": "b", "label": 2}"#,
        #"{"goal": "g", "sol1": "a", "sol2": "b", "label": "1"}"#,
        #"{"goal": "g", "sol1": "a", "sol2": "b", "label": 1.5}"#,
        #"{"goal": "g", "sol1": "a", "sol2": "b", "label": 0"#,
    ])
    func piqaFieldsMatchTheRecordDecoder(_ line: String) throws {
        let u = try file([#"{"goal": "g", "sol1": "a", "sol2": "b", "label": 1}"#, line])
        let spec = try loadTask("piqa").spec
        var expected: DatasetError?
        do { _ = try readJSONL(PIQARecord.self, from: u) } catch let e as DatasetError { expected = e }
        #expect(expected != nil)
        #expect(throws: expected!) { try Document.load(url: u, schema: spec.schema) }
    }

    @Test func mmluAnswerIndexMatchesTheRecordDecoder() throws {
        let u = try file([#"{"subject": "s", "question": "q", "choices": ["a", "b", "c", "d"], "answer": 4}"#])
        var expected: DatasetError?
        do { _ = try readJSONL(MMLURecord.self, from: u) } catch let e as DatasetError { expected = e }
        #expect(throws: expected!) { try Document.load(url: u, schema: try loadTask("mmlu").spec.schema) }
    }

    @Test func fieldTypeTyposAreNamed() throws {
        let dir = try TestPaths.tempDir("tasks")
        try
            #"{"name": "x", "dataFile": "x.jsonl", "outputType": "loglikelihood", "fields": {"t": "strng"}, "docToText": "{{t}}", "docToTarget": "{{t}}"}"#
            .write(to: dir.appendingPathComponent("x.json"), atomically: true, encoding: .utf8)
        do { _ = try TasksFolder(path: dir.path).spec("x"); Issue.record("accepted") } catch {
            #expect(
                "\(error)".contains(
                    #"the field "fields.t" is "strng", not one of the types string, int, number, bool, object, any"#))
        }
    }

    /// The README's example: a new benchmark from a task file alone, end to end through the data folder.
    @Test func aNewTaskNeedsOnlyATaskFile() throws {
        let dir = try TestPaths.tempDir("newtask")
        try FileManager.default.createDirectory(
            at: dir.appendingPathComponent("tasks"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(
            at: dir.appendingPathComponent("data/sciq"), withIntermediateDirectories: true)
        try """
        {"question": "What do plants absorb?", "support": {"text": "Plants absorb light."}, "answers": ["light", "sound"], "gold": 0}

        """.write(to: dir.appendingPathComponent("data/sciq/test.jsonl"), atomically: true, encoding: .utf8)
        try """
        {
          "name": "sciq",
          "dataFile": "sciq/test.jsonl",
          "fields": {"question": "string", "support": {"type": "object", "fields": {"text": "string"}},
                     "answers": "string[]", "gold": {"type": "int", "indexOf": "answers"}},
          "outputType": "multiple_choice",
          "docToText": "{{support.text}}\\nQuestion: {{question}}\\nAnswer:",
          "docToTarget": "{{gold}}",
          "docToChoice": "{{answers}}",
          "primaryMetric": "acc"
        }
        """.write(to: dir.appendingPathComponent("tasks/sciq.json"), atomically: true, encoding: .utf8)
        let t = try EvalTask(
            spec: TasksFolder(path: dir.appendingPathComponent("tasks").path).spec("sciq"),
            data: DataDirectory(path: dir.appendingPathComponent("data").path))
        #expect(
            try t.request(t.records[0], shots: 0, seed: 1)
                == .multipleChoice(
                    context: "Plants absorb light.\nQuestion: What do plants absorb?\nAnswer:",
                    continuations: [" light", " sound"],
                    choiceLengths: [5, 5], gold: 0))
    }
}
