import Foundation
import Studies
import Testing
import TestSupport

@Suite struct StudySpecTests {
    func write(_ text: String) throws -> String {
        let u = try TestPaths.tempDir("spec").appendingPathComponent("s.yaml")
        try text.write(to: u, atomically: true, encoding: .utf8)
        return u.path
    }
    let good = """
        name: t
        title: T
        model: m.gguf
        seed: 1
        datasets: [{task: piqa, samples: 3}]
        analyses: [s1]
        plots: [s1_heatmap]
        """

    @Test func everyCommittedStudyFileLoads() throws {
        let dir = TestPaths.repoRoot.appendingPathComponent("studies")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".yaml") }
        #expect(files.count >= 6)
        for f in files {
            let path = dir.appendingPathComponent(f).path
            // `kind: sensitivity` files (fig6, fig9, fig13, fig9-qwen) have their own schema.
            if studyKind(path) == .sensitivity {
                _ = try SensitivityStudySpec.load(path)
            } else {
                _ = try StudySpec.load(path)
            }
        }
        #expect(
            files.filter { studyKind(dir.appendingPathComponent($0).path) == .sensitivity }.sorted() == [
                "fig13.yaml", "fig6.yaml", "fig9-qwen.yaml", "fig9.yaml",
            ])
    }

    @Test func goodSpecLoads() throws {
        let s = try StudySpec.load(write(good))
        #expect(s.name == "t" && s.datasets.count == 1 && s.datasets[0].task == "piqa" && s.datasets[0].samples == 3)
        #expect(s.parametersJSON().contains("\"seed\":1"))
    }

    @Test func badInputReadsAsASentence() throws {
        #expect(throws: StudyError.self) { try StudySpec.load("/nonexistent/x.yaml") }
        do { _ = try StudySpec.load(write("name: [unclosed")); Issue.record("no error") } catch let e as StudyError {
            #expect(e.description.contains("is not a valid study"))
        }
        do {
            _ = try StudySpec.load(write(good.replacingOccurrences(of: "task: piqa", with: "task: boolq")));
            Issue.record("no error")
        } catch let e as StudyError { #expect(e.description.contains("Unknown dataset \"boolq\"")) }
        do {
            _ = try StudySpec.load(write(good.replacingOccurrences(of: "samples: 3", with: "samples: 0")));
            Issue.record("no error")
        } catch let e as StudyError { #expect(e.description.contains("out of range")) }
        do {
            _ = try StudySpec.load(write(good.replacingOccurrences(of: "analyses: [s1]", with: "analyses: [s9]")));
            Issue.record("no error")
        } catch let e as StudyError { #expect(e.description.contains("analyses")) }
    }
}
