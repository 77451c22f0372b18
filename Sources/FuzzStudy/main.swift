import Foundation
import FuzzSupport
import Studies
import TestSupport

// Study files (YAML), read and validated as `lisa study run` does (seeds: studies/*.yaml).
runFuzzer(seeds: { dir in
    let studies = TestPaths.repoRoot.appendingPathComponent("studies")
    for name in try FileManager.default.contentsOfDirectory(atPath: studies.path) where name.hasSuffix(".yaml") {
        try FileManager.default.copyItem(at: studies.appendingPathComponent(name), to: dir.appendingPathComponent(name))
    }
}) { bytes in
    guard let spec = try? StudySpec.load(writeScratch(bytes).path) else { return }
    _ = spec.parametersJSON()
}
