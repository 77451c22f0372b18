import Foundation
import FuzzSupport
import Models
import TestSupport

// Sharing configs (`lisa recommend`'s JSON), read and validated (seeds: reports/*/ configs).
runFuzzer(seeds: { dir in
    let reports = TestPaths.repoRoot.appendingPathComponent("reports")
    for folder in try FileManager.default.contentsOfDirectory(atPath: reports.path) {
        let sub = reports.appendingPathComponent(folder)
        for name in (try? FileManager.default.contentsOfDirectory(atPath: sub.path)) ?? [] where name.hasSuffix(".json")
        {
            let data = try Data(contentsOf: sub.appendingPathComponent(name))
            guard data.range(of: Data("model_sha256".utf8)) != nil else { continue }
            try data.write(to: dir.appendingPathComponent("\(folder)-\(name)"))
        }
    }
}) { bytes in
    guard let c = try? SharingConfig.load(path: writeScratch(bytes).path) else { return }
    _ = c.policies
}
