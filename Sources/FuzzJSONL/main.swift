import Foundation
import Datasets
import FuzzSupport
import TestSupport

// JSONL records of every dataset kind: the first byte picks the catalog entry (data/README.md's files, the
// plain-text ones included), the rest is the file (seeds: the first lines of each file in ../shared/data).
runFuzzer(seeds: { dir in
    for (i, spec) in dataCatalog.enumerated() {
        let url = TestPaths.data.appendingPathComponent(spec.path)
        guard let data = try? Data(contentsOf: url) else { continue }
        let lines = data.split(separator: 0x0A, omittingEmptySubsequences: false).prefix(3)
        var seed = Data([UInt8(i)])
        for l in lines { seed.append(contentsOf: l.prefix(2000)); seed.append(0x0A) }
        try seed.write(to: dir.appendingPathComponent(spec.path.replacingOccurrences(of: "/", with: "_")))
    }
}) { bytes in
    guard let kind = bytes.first else { return }
    let spec = dataCatalog[Int(kind) % dataCatalog.count]
    _ = try? spec.check(writeScratch(UnsafeRawBufferPointer(rebasing: bytes.dropFirst())))
}
