import Foundation
import Studies
import Testing
import TestSupport

/// Issue 15: study YAML files that are empty, a list, a scalar or have wrong-typed fields name the fault in words.
@Suite struct StudyFileTests {
    func write(_ text: String) throws -> String {
        let u = try TestPaths.tempDir("spec").appendingPathComponent("s.yaml")
        try text.write(to: u, atomically: true, encoding: .utf8)
        return u.path
    }

    func message(_ text: String) throws -> String {
        let p = try write(text)
        do { _ = try StudySpec.load(p); return "accepted" } catch {
            return "\(error)".replacingOccurrences(of: p, with: "FILE")
        }
    }

    @Test func emptyFile() throws {
        for text in ["", "\n\n", "# only a comment\n"] {
            #expect(
                try message(text)
                    == "The study file FILE is not a valid study: it is empty (a study file is a mapping: name:, "
                    + "datasets:, …)."
            )
        }
    }

    @Test func topLevelList() throws {
        #expect(
            try message("- name: t\n- seed: 1\n")
                == "The study file FILE is not a valid study: its top level is a list, not a mapping (name:, "
                + "datasets:, …)."
        )
    }

    @Test func topLevelScalar() throws {
        #expect(
            try message("fig3\n")
                == "The study file FILE is not a valid study: its top level is a single value, not a mapping (name:, "
                + "datasets:, …)."
        )
    }

    @Test func wrongTypedFieldsNameTheFieldAndTheTypeInWords() throws {
        let base = "name: t\ntitle: T\nmodel: m.gguf\nanalyses: [s1]\nplots: [s1_heatmap]\n"
        let seed = try message(base + "seed: many\ndatasets: [{task: piqa, samples: 3}]\n")
        #expect(seed == "The study file FILE is not a valid study: the field \"seed\" should be an integer.", "\(seed)")
        let samples = try message(base + "seed: 1\ndatasets: [{task: piqa, samples: lots}]\n")
        #expect(
            samples
                == "The study file FILE is not a valid study: the field \"datasets[0].samples\" should be an integer.",
            "\(samples)")
        let datasets = try message(base + "seed: 1\ndatasets: piqa\n")
        #expect(
            datasets.hasPrefix("The study file FILE is not a valid study: the field \"datasets\" should be a list"),
            "\(datasets)")
    }

    @Test func sensitivityStudyFilesGetTheSameChecks() throws {
        let list = try write("- kind: sensitivity\n")
        do { _ = try SensitivityStudySpec.load(list); Issue.record("a list was accepted") } catch {
            #expect(
                "\(error)"
                    == "The study file \(list) is not a valid study: its top level is a list, not a mapping (name:, "
                    + "datasets:, …)."
            )
        }
    }

    @Test func directoryIsNamed() throws {
        let dir = try TestPaths.tempDir("spec")
        do { _ = try StudySpec.load(dir.path); Issue.record("a directory was accepted") } catch {
            #expect(
                "\(error)"
                    == "The study file \(dir.path) is not a valid study: it cannot be read: it is a directory, not a "
                    + "file."
            )
        }
    }
}
