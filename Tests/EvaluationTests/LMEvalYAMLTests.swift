import Datasets
import Evaluation
import Foundation
import Testing
import TestSupport

/// Issue 19: lm-eval task YAMLs (the real files of EleutherAI/lm-evaluation-harness, copied into
/// Tests/Fixtures/lm-eval with their MIT license) read with `--task-file`, their datasets mapped onto our data through
/// tasks/lm-eval/datasets.json: on the real documents of ../shared/data they must give the built-in task files'
/// requests byte for byte, at 0 shots on every document and with exemplars on the first ones.
@Suite struct LMEvalYAMLTests {
    static let yamls = TestPaths.fixtures.appendingPathComponent("lm-eval")
    static let tasks = { try TasksFolder(path: TestPaths.repoRoot.appendingPathComponent("tasks").path) }

    static func yamlTask(_ relative: String, data: String = TestPaths.data.path) throws -> EvalTask {
        try EvalTask.load(taskFile: yamls.appendingPathComponent(relative).path, data: data, tasks: tasks)
    }

    @Test(arguments: [
        ("piqa/piqa.yaml", "piqa"), ("super_glue/boolq/default.yaml", "boolq"), ("arc/arc_easy.yaml", "arc_easy"),
        ("hellaswag/hellaswag.yaml", "hellaswag"), ("openbookqa/openbookqa.yaml", "openbookqa"),
    ])
    func yamlRequestsEqualTheBuiltInTask(_ yaml: String, _ name: String) throws {
        let y = try Self.yamlTask(yaml), t = try loadTask(name)
        #expect(y.spec.name == name && y.spec.primaryMetric == t.spec.primaryMetric)
        #expect(y.spec.targetDelimiter == " " && y.spec.fewshotDelimiter == "\n\n" && y.spec.defaultShots == 0)
        #expect(y.records.count == t.records.count && y.pool.count == t.pool.count)
        // Every document at 0 shots…
        var differing: [Int] = []
        for (a, b) in zip(y.records, t.records)
        where try y.request(a, shots: 0, seed: 1234) != t.request(b, shots: 0, seed: 1234) {
            differing.append(a.index)
        }
        #expect(differing.isEmpty, "\(name): documents \(differing.prefix(10)) differ")
        // …and the first 20 of a 5-shot run (exemplars drawn from the same 50-record pool).
        let opts = EvalOptions(shots: 5, limit: 20, seed: 1234)
        let ya = selectDocuments(y, options: opts), ta = selectDocuments(t, options: opts)
        #expect(ya.map(\.index) == ta.map(\.index))
        for (a, b) in zip(ya, ta) {
            #expect(try y.request(a, shots: 5, seed: 1234) == t.request(b, shots: 5, seed: 1234))
        }
    }

    @Test func arcChallengeYAMLIncludesARCEasy() throws {
        let y = try Self.yamlTask(
            "arc/arc_challenge.yaml", data: TestPaths.fixtures.appendingPathComponent("tasks-data").path)
        let folder = try TasksFolder(path: TestPaths.repoRoot.appendingPathComponent("tasks").path)
        let t = try EvalTask(
            spec: folder.spec("arc_challenge"),
            data: DataDirectory(path: TestPaths.fixtures.appendingPathComponent("tasks-data").path))
        #expect(y.spec.name == "arc_challenge" && y.spec.docToText == "Question: {{question}}\nAnswer:")
        for (a, b) in zip(y.records, t.records) {
            #expect(try y.request(a, shots: 0, seed: 1) == t.request(b, shots: 0, seed: 1))
        }
        #expect(y.records.count == 3)
    }

    /// `--data FILE.jsonl` in the Hugging Face layout: the YAML reads the fields as lm-eval does (choices.text,
    /// choices.label.index(answerKey)).
    @Test func dataFileInTheHuggingFaceLayout() throws {
        let file = try TestPaths.tempDir("hf").appendingPathComponent("arc.jsonl")
        try """
        {"id": "x1", "question": "What melts ice fastest?", "choices": {"text": ["salt", "sand", "air"], "label": ["A", "B", "C"]}, "answerKey": "A"}
        {"id": "x2", "question": "Which is a mammal?", "choices": {"text": ["trout", "whale"], "label": ["1", "2"]}, "answerKey": "2"}

        """.write(to: file, atomically: true, encoding: .utf8)
        let y = try Self.yamlTask("arc/arc_easy.yaml", data: file.path)
        #expect(
            try y.request(y.records[0], shots: 0, seed: 1)
                == .multipleChoice(
                    context: "Question: What melts ice fastest?\nAnswer:", continuations: [" salt", " sand", " air"],
                    choiceLengths: [4, 4, 3], gold: 0))
        #expect(
            try y.request(y.records[1], shots: 0, seed: 1)
                == .multipleChoice(
                    context: "Question: Which is a mammal?\nAnswer:", continuations: [" trout", " whale"],
                    choiceLengths: [5, 5], gold: 1))
    }

    @Test func pythonFunctionsAreRefusedNamingTheFile() throws {
        let wino = Self.yamls.appendingPathComponent("winogrande/default.yaml").path
        #expect(
            throws: EvalError.badLMEvalYAML(
                path: wino,
                reason: "doc_to_text is the Python function !function "
                    + "preprocess_winogrande.doc_to_text, which lisa cannot run")
        ) {
            try Self.yamlTask("winogrande/default.yaml")
        }
        // HellaSwag's process_docs is done in templates only by the dataset map; a raw file would need the Python.
        let file = try TestPaths.tempDir("hs").appendingPathComponent("h.jsonl")
        try #"{"ctx_a": "a", "ctx_b": "b", "activity_label": "x", "endings": ["1", "2"], "label": "0"}"#.write(
            to: file, atomically: true, encoding: .utf8)
        let hs = Self.yamls.appendingPathComponent("hellaswag/hellaswag.yaml").path
        do { _ = try Self.yamlTask("hellaswag/hellaswag.yaml", data: file.path); Issue.record("accepted") } catch let e
            as EvalError
        {
            #expect(
                e
                    == .badLMEvalYAML(
                        path: hs,
                        reason: "process_docs is the Python function !function utils.process_docs, which lisa "
                            + "cannot run on \(file.path) (a tasks/lm-eval/datasets.json entry can do its work in "
                            + "templates)"
                    ))
        }
    }

    func write(_ yaml: String) throws -> String {
        let p = try TestPaths.tempDir("yaml").appendingPathComponent("t.yaml").path
        try yaml.write(toFile: p, atomically: true, encoding: .utf8)
        return p
    }

    static let piqaHead =
        "task: mine\ndataset_path: baber/piqa\noutput_type: multiple_choice\ndoc_to_target: label\n"
        + "doc_to_choice: \"{{[sol1, sol2]}}\"\n"

    /// Unsupported Jinja fails on loading, naming the YAML file, the key and the construct.
    @Test(arguments: [
        ("doc_to_text: \"{{goal if goal else sol1}}\"", "an inline if/else expression"),
        (
            "doc_to_text: \"{% for s in [sol1] %}{{s}}{% endfor %}\"",
            "the statement {% for %} (Jinja statements are not supported; only {{ expressions }})"
        ),
        ("doc_to_text: \"{{goal * 2}}\"", "the arithmetic operator *"),
        ("doc_to_text: \"{{goal|wordwrap(3)}}\"", "the filter |wordwrap"),
        ("doc_to_text: \"{{goal.zfill(3)}}\"", "the method .zfill()"),
        ("doc_to_text: \"{{goal == sol1}}\"", "the comparison =="),
        ("doc_to_text: \"{{- goal }}\"", "whitespace control ({{- … -}})"),
    ])
    func unsupportedJinjaIsNamed(_ line: String, _ construct: String) throws {
        let p = try write(Self.piqaHead + line + "\n")
        do {
            _ = try EvalTask.load(taskFile: p, data: TestPaths.data.path, tasks: Self.tasks);
            Issue.record("accepted \(line)")
        } catch let e as EvalError {
            guard case let .unsupportedTemplate(file, key, _, c) = e else { Issue.record("\(e)"); return }
            #expect(file == p && key == "doc_to_text" && c == construct)
            #expect(e.description.hasPrefix("\(p): doc_to_text "))
        }
    }

    @Test func unsupportedKeysAndMetricsAreNamed() throws {
        let p1 = try write(Self.piqaHead + "doc_to_text: goal\nprocess_results: !function utils.process_results\n")
        #expect(
            throws: EvalError.badLMEvalYAML(
                path: p1,
                reason: "the key process_results is not supported (lisa reads: description, "
                    + "doc_to_choice, doc_to_target, doc_to_text, fewshot_delimiter, filter_list, generation_kwargs, "
                    + "include, metric_list, "
                    + "num_fewshot, output_type, process_docs, target_delimiter, task)")
        ) { try EvalTask.load(taskFile: p1, data: nil, tasks: Self.tasks) }
        let p2 = try write(Self.piqaHead + "doc_to_text: goal\nmetric_list:\n  - metric: f1\n")
        #expect(
            throws: EvalError.badLMEvalYAML(
                path: p2, reason: "the metric f1 is not supported for multiple_choice (acc, acc_norm)")
        ) {
            try EvalTask.load(taskFile: p2, data: nil, tasks: Self.tasks)
        }
        let p3 = try write(
            "task: x\ndataset_path: nowhere/at_all\noutput_type: multiple_choice\ndoc_to_text: q\ndoc_to_target: "
                + "a\ndoc_to_choice: c\n"
        )
        do {
            _ = try EvalTask.load(taskFile: p3, data: TestPaths.data.path, tasks: Self.tasks); Issue.record("accepted")
        } catch let e as EvalError {
            #expect(e.description.contains("no local data for dataset_path nowhere/at_all: give --data FILE.jsonl"))
        }
    }

    /// A generate_until YAML: until, max_gen_toks, the exact_match options and a filter_list pipeline.
    @Test func generationYAMLReadsUntilMetricsAndFilters() throws {
        let p = try write(
            """
            task: qa
            dataset_path: local/qa
            output_type: generate_until
            doc_to_text: "Q: {{q}}\\nA:"
            doc_to_target: "{{answers}}"
            generation_kwargs:
              until: ["\\n", "."]
              max_gen_toks: 16
              do_sample: false
            metric_list:
              - metric: exact_match
                ignore_case: true
                ignore_punctuation: true
            filter_list:
              - name: strict
                filter:
                  - function: regex
                    regex_pattern: "answer is (\\\\w+)"
                  - function: take_first
              - name: loose
                filter:
                  - function: remove_whitespace
                  - function: take_first
            """)
        let file = try TestPaths.tempDir("qa").appendingPathComponent("qa.jsonl")
        try #"{"q": "Sky colour?", "answers": ["Blue", "azure"]}"#.write(to: file, atomically: true, encoding: .utf8)
        let t = try EvalTask.load(taskFile: p, data: file.path, tasks: Self.tasks)
        #expect(
            try t.request(t.records[0], shots: 0, seed: 1)
                == .generation(
                    context: "Q: Sky colour?\nA:", until: ["\n", "."],
                    maxTokens: 16, references: ["Blue", "azure"]))
        #expect(
            t.spec.ignoreCase && t.spec.ignorePunctuation && t.spec.metricNames == ["exact_match", "exact_match_loose"])
        let f = try #require(t.spec.filters)
        #expect(f[0].apply("so the answer is blue") == "blue" && f[0].apply("no idea") == "[invalid]")
        #expect(f[1].apply("  Blue") == "Blue")
    }

    /// lm-eval's regex filter against the workbench's independent gsm8k extractors (Metrics), on varied outputs.
    @Test func regexFilterMatchesTheGSM8KExtractors() throws {
        let strict = OutputFilter(
            name: "s",
            steps: [
                .regex(pattern: #"The answer is (\-?[0-9\.\,]+)."#, groupSelect: 0, fallback: "[invalid]"), .takeFirst,
            ])
        let flexible = OutputFilter(
            name: "f",
            steps: [
                .regex(pattern: #"(-?[$0-9.,]{2,})|(-?[0-9]+)"#, groupSelect: -1, fallback: "[invalid]"), .takeFirst,
            ])
        let outputs = [
            "The answer is 42.", "So 3 + 4 = 7. The answer is 7.\n\nQ: next", "I think $1,200 total, or 5",
            "nothing here",
            "The answer is -3.5, so", "a 9 b 10 c", "The answer is 12 and The answer is 13.",
        ]
        for o in outputs {
            #expect(strict.apply(o) == Metrics.gsm8kStrict(o), "\(o)")
            #expect(flexible.apply(o) == Metrics.gsm8kFlexible(o), "\(o)")
        }
    }
}

/// `lisa eval --task-file piqa.yaml` scores as `--task piqa` does: the same documents, log-likelihoods and metrics.
@Suite struct LMEvalYAMLEvalTests {
    @Test(.needsGemma) func taskFileScoresEqualTheBuiltInTask() throws {
        let dir = try TestPaths.tempDir("yamleval")
        var results: [TaskResult] = []
        for (i, args) in [
            ["--task", "piqa"], ["--task-file", LMEvalYAMLTests.yamls.appendingPathComponent("piqa/piqa.yaml").path],
        ].enumerated() {
            let out = dir.appendingPathComponent("\(i).json").path
            let r = try LisaBinary.run(
                ["eval", TestPaths.gemma] + args + [
                    "--limit", "3", "--threads", "1", "--data", TestPaths.data.path,
                    "--out", out,
                ],
                environment: ["LISA_TASKS": TestPaths.repoRoot.appendingPathComponent("tasks").path])
            #expect(r.status == 0, "\(r.stderr)")
            results.append(try JSONDecoder().decode(TaskResult.self, from: Data(contentsOf: URL(fileURLWithPath: out))))
        }
        #expect(results[0].documents.map(\.index) == results[1].documents.map(\.index) && results[0].n == 3)
        #expect(results[0].documents.map(\.logLikelihoods) == results[1].documents.map(\.logLikelihoods))
        #expect(results[0].metrics == results[1].metrics && results[1].primaryMetric == "acc_norm")
        let both = try LisaBinary.run(["eval", TestPaths.gemma, "--task", "piqa", "--task-file", "x.yaml"])
        #expect(both.status != 0 && both.stderr.contains("Give exactly one of --task NAME and --task-file FILE."))
    }
}
