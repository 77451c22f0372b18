import Evaluation
import Foundation
import Testing
import TestSupport

/// Issue 19: lisa's Jinja (rewritten into Stencil) against the real Jinja2 that lm-eval uses (its environment:
/// StrictUndefined, keep_trailing_newline, the regex_replace filter), on every template of every built-in task over the
/// first 60 documents of their data files and on the hand-written cases of TaskDefinitionTests. Runs where Python's
/// jinja2 is importable (it is not a set-up requirement), and is skipped with that reason elsewhere.
@Suite struct JinjaOracleTests {
    static let hasJinja2: Bool = {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", "import jinja2"]
        p.standardOutput = FileHandle.nullDevice; p.standardError = FileHandle.nullDevice
        do { try p.run(); p.waitUntilExit(); return p.terminationStatus == 0 } catch { return false }
    }()

    static let script = #"""
        import json, re, sys
        from jinja2 import BaseLoader, Environment, StrictUndefined
        env = Environment(loader=BaseLoader, undefined=StrictUndefined, keep_trailing_newline=True)
        env.filters["regex_replace"] = lambda s, p, r, count=0: re.sub(p, r, s, count=count)
        out = []
        for case in json.load(open(sys.argv[1])):
            try:
                out.append(env.from_string(case["template"]).render(**case["doc"]))
            except Exception as e:
                out.append("ERROR " + type(e).__name__)
        json.dump(out, open(sys.argv[2], "w"))
        """#

    /// Jinja2's renders of (template, document) pairs.
    static func jinja2(_ cases: [(String, Document)]) throws -> [String] {
        let dir = try TestPaths.tempDir("jinja")
        let input = dir.appendingPathComponent("in.json"), output = dir.appendingPathComponent("out.json")
        let json: [[String: Any]] = cases.map { ["template": $0.0, "doc": $0.1.fields.mapValues(plain)] }
        try JSONSerialization.data(withJSONObject: json).write(to: input)
        let py = dir.appendingPathComponent("render.py")
        try script.write(to: py, atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", py.path, input.path, output.path]
        try p.run(); p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        return try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: output)) as? [String])
    }

    static func plain(_ v: DocValue) -> Any {
        switch v {
        case .text(let s): return s
        case .number(let i): return i
        case .real(let d): return d
        case .bool(let b): return b
        case .null: return NSNull()
        case .list(let l): return l.map(plain)
        case .object(let o): return o.mapValues(plain)
        }
    }

    @Test(.enabled(if: hasJinja2, "Python's jinja2 is not installed (pip install jinja2 to run this comparison)"))
    func builtInTemplatesRenderAsJinja2Does() throws {
        var cases: [(String, Document)] = []
        for name in [
            "arc_easy", "boolq", "gsm8k", "hellaswag", "lambada", "mmlu", "nq_open", "openbookqa", "piqa", "triviaqa",
        ] {
            let t = try loadTask(name)
            var templates = [t.spec.docToText, t.spec.docToTarget, t.spec.description]
            switch t.spec.docToChoice {
            case .list(let l)?: templates += l
            case .template(let s)?: templates.append(s)
            case nil: break
            }
            for doc in t.records.prefix(60) {
                for template in templates where template.contains("{{") { cases.append((template, doc)) }
            }
        }
        let expected = try Self.jinja2(cases)
        var mismatches = 0
        for ((template, doc), want) in zip(cases, expected) {
            let got = try Template.render(template, doc, task: "oracle")
            if got != want {
                mismatches += 1
                if mismatches <= 5 {
                    Issue.record(
                        Comment(
                            rawValue:
                                "\(template.debugDescription) on \(doc.file):\(doc.index + 1): "
                                    + "\(got.debugDescription) vs "
                                + "\(want.debugDescription)")
                    )
                }
            }
        }
        #expect(mismatches == 0 && cases.count == 28 * 60)
    }

    /// The lm-eval YAMLs' own templates (`{{choices.label.index(answerKey.lstrip())}}`, `{{[sol1, sol2]}}`, …) on the
    /// documents as the dataset map presents them (the Hugging Face fields rebuilt from ours).
    @Test(.enabled(if: hasJinja2, "Python's jinja2 is not installed (pip install jinja2 to run this comparison)"))
    func lmEvalYAMLTemplatesRenderAsJinja2Does() throws {
        var cases: [(String, Document)] = []
        for yaml in [
            "piqa/piqa.yaml", "super_glue/boolq/default.yaml", "arc/arc_easy.yaml", "hellaswag/hellaswag.yaml",
            "openbookqa/openbookqa.yaml",
        ] {
            let t = try LMEvalYAMLTests.yamlTask(yaml)
            var templates = [t.spec.docToText, t.spec.docToTarget]
            if case .template(let c)? = t.spec.docToChoice { templates.append(c) }
            for doc in t.records.prefix(60) {
                for template in templates where template.contains("{{") { cases.append((template, doc)) }
            }
        }
        let expected = try Self.jinja2(cases)
        #expect(cases.count == 60 * (2 + 1 + 3 + 2 + 2))  // bare field names (label, question_stem) are not templates
        for ((template, doc), want) in zip(cases, expected) {
            #expect(try Template.render(template, doc, task: "oracle") == want, "\(template) on line \(doc.index + 1)")
        }
    }

    @Test(.enabled(if: hasJinja2, "Python's jinja2 is not installed (pip install jinja2 to run this comparison)"))
    func handWrittenCasesRenderAsJinja2Does() throws {
        let templates = [
            "{{meta.source.name}}", "{{meta.source.tags[1]}}/{{meta.people[1].name}}", "{{words[-1]}} {{words[0]}}",
            "{{words|join(', ')}}", "{{', '.join(labels)}}", "{{words[:2]|join('+')}}|{{words[1:]|join('')}}",
            "{{text.split(' ')[:-1]|join(' ')}}", "{{' ' + text.split(' ')[-1]}}",
            "[{{title.strip()}}] [{{title|trim|replace('_', ' ')|upper}}]",
            "{{labels.index(key)}} {{['x', 'y', 'z'][n]}} {{n + 1}} {{n - 3}}", "{{flag}} {{none}} {{nums}} {{words}}",
            "{{title|trim|lower|capitalize}} {{words|length}} {{words|first}}{{words|last}}",
            "{{ (words[0] ~ ': ' ~ n)|upper }}",
            "{{text|regex_replace('t(\\\\w+)', 'T\\\\1')}}", "{ not an expression } {{'{{'}}",
            "{{title.split()}} {{title.split('_', 1)}}",
            "{{text.title()}} {{text.upper().lower()}} {{title.lstrip()}}|{{title.rstrip()}}|",
            "{{text.replace('o', '0')}} {{words[5:]|join}} {{words[-5:-1]|join('/')}}", "{{labels.index(key.strip())}}",
        ]
        let expected = try Self.jinja2(templates.map { ($0, TaskDefinitionTests.doc) })
        for (t, want) in zip(templates, expected) {
            #expect(try Template.render(t, TaskDefinitionTests.doc, task: "oracle") == want, "\(t)")
        }
    }
}
