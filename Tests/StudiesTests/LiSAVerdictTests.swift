import Analysis
import Foundation
@testable import Studies
import TestSupport
import Testing

/// Finding (d) from Table 2's rows: §5.4's LiSA claim judged for a checkpoint trained as the paper's LiSA against
/// the DS row, written to verdicts.json and picked up by `lisa findings` without a study file.
@Suite struct LiSAVerdictTests {
    /// ds 60 ± 2 %; lisa-100000 at `lisa` ± `se` %; a DS_LoRA row that is never judged as LiSA.
    func table(lisa: Double, se: Double) -> Table2 {
        let methods = [
            Table2Method.original, Table2Method(label: "ds", sharing: "{}"),
            Table2Method(label: "lisa-100000", checkpointSHA256: "ab", trainedMethod: "lisa", trainedFFN: "dl"),
            Table2Method(label: "ds-lora-100000", checkpointSHA256: "cd", trainedMethod: "ds-lora"),
        ]
        let avg: [String: (Estimate, [String])] = [
            "ds": (Estimate(value: 60, se: 2, n: 2), ["piqa", "boolq"]),
            "lisa-100000": (Estimate(value: lisa, se: se, n: 2), ["piqa", "boolq"]),
            "ds-lora-100000": (Estimate(value: 99, se: 1, n: 2), ["piqa", "boolq"]),
        ]
        return Table2(tasks: ["piqa", "boolq"], methods: methods, referenceLabel: "original", cells: [:], averages: avg)
    }

    @Test func lisaIsJudgedAgainstDSAndThePapersLevel() throws {
        // 70 ± 2 vs 60 ± 2: +10 ± 2.83 (above beyond 2 s.e.), 70 + 2·2 < 96.77 → partly
        let partly = table(lisa: 70, se: 2).lisaVerdictRows()
        #expect(partly.count == 1)
        let row = try #require(partly.first)
        #expect(row.agrees == .partly && row.finding == "d")
        #expect(row.measurement.contains("LiSA − DS +10.0 ± 2.8 points"))
        #expect(row.why == "above DS beyond 2 s.e., but 26.8 points short of the paper's 96.77 %")
        // 95.5 ± 1: within 2 s.e. of 96.77 and far above DS → yes
        #expect(table(lisa: 95.5, se: 1).lisaVerdictRows().first?.agrees == .yes)
        // 64 ± 2: +4 ± 2.83, inside the noise → no
        let no = try #require(table(lisa: 64, se: 2).lisaVerdictRows().first)
        #expect(no.agrees == .no && no.why.hasPrefix("not above DS beyond 2 s.e."))
        // the DS claims (no finding tag) and the LiSA claim both go into verdicts.json; only the latter is tagged
        let v = table(lisa: 70, se: 2).studyVerdicts(report: "lisa-budgets-tiny", model: "tiny")
        #expect(v.claims.map(\.finding) == [nil, nil, "d"])
        #expect(v.source == "lisa table2: original, ds, lisa-100000, ds-lora-100000")
    }

    @Test func findingsReadsATable2ReportsVerdicts() throws {
        let root = try TestPaths.tempDir("findings-d")
        let studies = root.appendingPathComponent("studies"), reports = root.appendingPathComponent("reports")
        try FileManager.default.createDirectory(at: studies, withIntermediateDirectories: true)
        let dir = reports.appendingPathComponent("lisa-budgets-tiny")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try table(lisa: 70, se: 2).studyVerdicts(report: "lisa-budgets-tiny", model: "tiny").write(dir: dir)
        // a verdicts.json whose study is not its folder's name is not a report of this kind: ignored
        let other = reports.appendingPathComponent("elsewhere")
        try FileManager.default.createDirectory(at: other, withIntermediateDirectories: true)
        try table(lisa: 95.5, se: 1).studyVerdicts(report: "lisa-budgets-tiny", model: "tiny").write(dir: other)
        let md = try Findings.markdown(store: nil, studiesDir: studies.path, reportsDir: reports.path)
        let d = try #require(md.split(separator: "\n").first { $0.hasPrefix("| (d)") })
        #expect(d.contains("[lisa-budgets-tiny](./lisa-budgets-tiny/report.md) (from its report): **partly** —"))
        #expect(!d.contains("**yes**"))
        #expect(md.contains("- (d): partly (1 claim over 1 model(s))"))
    }
}
