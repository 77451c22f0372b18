import Analysis
import Foundation
@testable import Studies
import TestSupport
import Testing

/// Finding (d) from Table 2's rows: §5.4's LiSA claim judged for a checkpoint trained as the paper's LiSA against
/// the DS row, written to verdicts.json and picked up by `lisa findings` without a study file.
@Suite struct LiSAVerdictTests {
    /// Two benchmarks of 100 documents each, the original right on all of them; ds right on documents 0..<60;
    /// lisa-100000 on ds's documents plus `gained`, minus `lost`; a DS_LoRA row that is never judged as LiSA.
    func table(gained: Range<Int>, lost: Range<Int> = 0..<0) -> Table2 {
        let methods = [
            Table2Method.original, Table2Method(label: "ds", sharing: "{}"),
            Table2Method(label: "lisa-100000", checkpointSHA256: "ab", trainedMethod: "lisa", trainedFFN: "dl"),
            Table2Method(label: "ds-lora-100000", checkpointSHA256: "cd", trainedMethod: "ds-lora"),
        ]
        let right: [String: Set<Int>] = [
            "original": Set(0..<100), "ds": Set(0..<60),
            "lisa-100000": Set(0..<60).union(gained).subtracting(lost), "ds-lora-100000": Set(0..<99),
        ]
        var cells: [String: [String: Table2Cell]] = [:]
        for t in ["piqa", "boolq"] {
            for m in methods {
                let docs = Dictionary(uniqueKeysWithValues: (0..<100).map { ($0, right[m.label]!.contains($0) ? 1.0 : 0) })
                let v = (0..<100).map { docs[$0]! }
                cells[t, default: [:]][m.label] = Table2Cell(
                    metric: "acc", n: 100, score: meanEstimate(v),
                    preserved: m.label == "original" ? nil : pairedRatio(v, Array(repeating: 1, count: 100)),
                    seconds: 1, documents: docs)
            }
        }
        return Table2(tasks: ["piqa", "boolq"], methods: methods, referenceLabel: "original", cells: cells)
    }

    @Test func lisaIsJudgedAgainstDSAndThePapersLevel() throws {
        // 10 more documents right on each benchmark: the paired difference is 1 on 10 of 100, mean 0.1, s.d.
        // √(0.1 · 0.9 · 100/99) = 0.30151, s.e. 0.030151 per benchmark; averaged over 2: +10.0 ± 2.13 points (4.7
        // s.e.: above DS). LiSA preserves 70 %, + 2 s.e. (3.26) far below 96.77 → partly.
        let t = table(gained: 60..<70)
        let d = try #require(t.preservedDifference("lisa-100000", "ds"))
        #expect(abs(d.0.value - 10) < 1e-9 && abs(d.0.se - 100 * 0.030151134 / 2.0.squareRoot()) < 1e-6)
        #expect(d.1 == ["piqa", "boolq"])
        // the table paired against ds prints the same difference as a row of its own
        var vsDS = t
        vsDS.referenceLabel = "ds"
        #expect(
            vsDS.markdown().contains("| lisa-100000 | avg preserved | points | 2 benchmarks | +10.00 ± 2.13 | +4.69 | yes |"),
            "\(vsDS.markdown())")
        let partly = t.lisaVerdictRows()
        #expect(partly.count == 1)
        let row = try #require(partly.first)
        #expect(row.agrees == .partly && row.finding == "d")
        #expect(row.measurement.contains("LiSA − DS +10.0 ± 2.1 points (paired, 2 benchmarks)"), "\(row.measurement)")
        #expect(row.why == "above DS beyond 2 s.e., but 26.8 points short of the paper's 96.77 %")
        // 95 % preserved (+ 2 s.e. = 98.1 ≥ 96.77) and far above DS → yes
        #expect(table(gained: 60..<95).lisaVerdictRows().first?.agrees == .yes)
        // 5 gained, 3 lost: +2.0 ± 2.0 points — inside the noise → partly, said so
        let noise = try #require(table(gained: 60..<65, lost: 0..<3).lisaVerdictRows().first)
        #expect(noise.agrees == .partly && noise.why == "LiSA − DS is inside the noise (within 2 s.e.)", "\(noise)")
        #expect(noise.measurement.contains("LiSA − DS +2.0 ± 2.0 points"), "\(noise.measurement)")
        // 10 lost: −10.0 ± 2.1 → no
        let no = try #require(table(gained: 0..<0, lost: 0..<10).lisaVerdictRows().first)
        #expect(no.agrees == .no && no.why == "below DS beyond 2 s.e.")
        // the DS claims (no finding tag) and the LiSA claim both go into verdicts.json; only the latter is tagged
        let v = t.studyVerdicts(report: "lisa-budgets-tiny", model: "tiny")
        #expect(v.claims.map(\.finding) == [nil, nil, "d"])
        #expect(v.source == "lisa table2: original, ds, lisa-100000, ds-lora-100000")
    }

    @Test func findingsReadsATable2ReportsVerdicts() throws {
        let root = try TestPaths.tempDir("findings-d")
        let studies = root.appendingPathComponent("studies"), reports = root.appendingPathComponent("reports")
        try FileManager.default.createDirectory(at: studies, withIntermediateDirectories: true)
        let dir = reports.appendingPathComponent("lisa-budgets-tiny")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try table(gained: 60..<70).studyVerdicts(report: "lisa-budgets-tiny", model: "tiny").write(dir: dir)
        // a verdicts.json whose study is not its folder's name is not a report of this kind: ignored
        let other = reports.appendingPathComponent("elsewhere")
        try FileManager.default.createDirectory(at: other, withIntermediateDirectories: true)
        try table(gained: 60..<95).studyVerdicts(report: "lisa-budgets-tiny", model: "tiny").write(dir: other)
        let md = try Findings.markdown(store: nil, studiesDir: studies.path, reportsDir: reports.path)
        let d = try #require(md.split(separator: "\n").first { $0.hasPrefix("| (d)") })
        #expect(d.contains("[lisa-budgets-tiny](./lisa-budgets-tiny/report.md) (from its report): **partly** —"))
        #expect(!d.contains("**yes**"))
        #expect(md.contains("- (d): partly (1 claim over 1 model(s))"))
    }
}
