import Analysis
import Foundation

// The verdict table of a Table 2 report (issue 17 item 3): §5.4's claims about direct sharing, judged for each
// sharing-config row on the benchmarks it has, with the rules of studies/VERDICTS.md (a difference within 2 s.e.
// is inside the noise and counts as partly).

extension Table2 {
    /// §5.4's DS claims per sharing method: the decline (average preserved below 100 % beyond 2 s.e., and on how
    /// many benchmarks the method falls below the original beyond 2 s.e. — by the paired per-document difference,
    /// else the paired ratio) and its size against LLaMA3-8B's 46.67 %.
    public func verdictRows() -> [ClaimRow] {
        let scored = tasks.filter { $0 != "lambada" }
        let averages = self.averages
        var rows: [ClaimRow] = []
        for m in methods where m.sharing != nil {
            guard let (avg, ts) = averages[m.label], avg.value.isFinite else { continue }
            let ratios = scored.compactMap { t in cells[t]?[m.label]?.preserved.map { (t, $0) } }
            let declining = ratios.filter { t, ratio in
                if let d = cells[t]?[m.label]?.vsOriginal, d.se.isFinite {
                    return d.value < 0 && d.se > 0 && -d.value / d.se > 2
                }
                return ratio.value < 1 && ratio.se > 0 && (1 - ratio.value) / ratio.se > 2
            }
            let below = avg.se > 0 && (100 - avg.value) / avg.se > 2
            let agrees: Agreement =
                below ? (2 * declining.count >= ratios.count ? .yes : .partly) : .partly
            let avgText = String(
                format: "%@: average preserved %.1f ± %.1f %% over %d benchmark%@", m.label, avg.value, avg.se,
                ts.count, ts.count == 1 ? "" : "s")
            rows.append(
                ClaimRow(
                    claim: "\"directly sharing attention (DS) leads to significant performance declines\" (§5.4)",
                    measurement: avgText + "; below the original beyond 2 s.e. on \(declining.count) of "
                        + "\(ratios.count) (\(declining.map(\.0).joined(separator: ", ")))",
                    agrees: agrees,
                    why: below
                        ? (agrees == .yes ? "" : "most benchmarks are inside the noise")
                        : "the average is within 2 s.e. of 100 %"))
            let paper = 46.67
            let z = avg.se > 0 ? (avg.value - paper) / avg.se : .nan
            let near = z.isFinite && abs(z) <= 2
            rows.append(
                ClaimRow(
                    claim: "\"applying DS to 17 layers in LLaMA3-8B results in the model retaining merely 46.67% "
                        + "of its original performance\" (§5.4, Table 2; 17 of 32 layers = 53 %)",
                    measurement: avgText,
                    agrees: near ? .yes : .no,
                    why: near
                        ? ""
                        : String(
                            format: "%@ than the paper's by %.1f points (%.0f s.e.)",
                            avg.value > paper ? "a milder loss" : "a larger loss", abs(avg.value - paper), abs(z))))
        }
        return rows
    }

    /// The rows as the markdown table every report opens with.
    public func verdictMarkdown() -> String {
        let rows = allVerdictRows()
        guard !rows.isEmpty else { return "" }
        return "| claim (quoted, with the section) | our measurement ± s.e. | agrees | why, if not |\n"
            + "|---|---|---|---|\n"
            + rows.map { "| \($0.claim) | \($0.measurement) | \($0.agrees.rawValue) | \($0.why) |" }.joined(
                separator: "\n") + "\n"
    }
}

extension Table2 {
    /// Every verdict row of the table: the DS claims, then the LiSA claims.
    public func allVerdictRows() -> [ClaimRow] { verdictRows() + lisaVerdictRows() }

    /// The verdict rows as a report's verdicts.json (`lisa findings` reads the claims tagged with a finding). The
    /// source names the rows compared, so rewriting an unchanged table leaves the file as it was.
    public func studyVerdicts(report: String, model: String) -> StudyVerdicts {
        let rows = allVerdictRows()
        return StudyVerdicts(
            study: report, model: model, parameters: "",
            source: StudyVerdicts.table2Source + methods.map(\.label).joined(separator: ", "),
            claims: rows.enumerated().map { i, r in
                StudyVerdicts.Claim(
                    index: i, finding: r.finding, agrees: r.agrees,
                    text: r.measurement + (r.why.isEmpty ? "" : " (\(r.why))"))
            })
    }
}

extension StudyVerdicts {
    /// How a verdicts.json written by `lisa table2 --verdicts` (not by a study report) names its source.
    public static let table2Source = "lisa table2: "
}

/// One row of a verdict table.
public struct ClaimRow: Sendable, Equatable {
    public var claim: String
    public var measurement: String
    public var agrees: Agreement
    public var why: String
    /// The core finding of FINDINGS.md the claim bears on ("d": LiSA keeps the performance where DS collapses).
    public var finding: String? = nil
}

/// The paper's LLaMA3-8B + LiSA (17) average preserved (Table 2), the level "comparable performance" is held to.
let paperLiSAPreserved = 96.77

extension Table2 {
    /// §5.4's LiSA claims (finding (d)) for each row trained as the paper's LiSA (`trainedMethod` "lisa", FFN "dl"),
    /// against each sharing-config row (its DS lower bound), by the paired per-document difference in average
    /// preserved (`preservedDifference`): yes — above DS beyond 2 s.e. and "comparable" to the original (within
    /// 2 s.e. of the paper's 96.77 % or above); partly — above DS but short of that, or the difference inside the
    /// noise; no — below DS beyond 2 s.e.
    func lisaVerdictRows() -> [ClaimRow] {
        var rows: [ClaimRow] = []
        let averages = self.averages
        let dsRows = methods.filter { $0.sharing != nil }
        for m in methods where m.trainedMethod == "lisa" && (m.trainedFFN ?? "dl") == "dl" && !m.nf {
            guard let (avg, ts) = averages[m.label], avg.value.isFinite else { continue }
            let mine = String(
                format: "%@: average preserved %.1f ± %.1f %% over %d benchmark%@", m.label, avg.value, avg.se,
                ts.count, ts.count == 1 ? "" : "s")
            for d in dsRows {
                guard let (ds, _) = averages[d.label], ds.value.isFinite,
                    let (diff, shared) = preservedDifference(m.label, d.label), diff.se.isFinite
                else { continue }
                let above = diff.se > 0 && diff.value / diff.se > 2
                let below = diff.se > 0 && -diff.value / diff.se > 2
                let comparable = avg.value + 2 * avg.se >= paperLiSAPreserved
                let agrees: Agreement = below ? .no : above && comparable ? .yes : .partly
                let measured =
                    mine
                    + String(
                        format: "; %@ %.1f ± %.1f %%; LiSA − DS %+.1f ± %.1f points (paired, %d benchmark%@)",
                        d.label, ds.value, ds.se, diff.value, diff.se, shared.count, shared.count == 1 ? "" : "s")
                let why: String
                if agrees == .yes {
                    why = ""
                } else if below {
                    why = "below DS beyond 2 s.e."
                } else if above {
                    why = String(
                        format: "above DS beyond 2 s.e., but %.1f points short of the paper's 96.77 %%",
                        paperLiSAPreserved - avg.value)
                } else {
                    why = "LiSA − DS is inside the noise (within 2 s.e.)"
                }
                rows.append(
                    ClaimRow(
                        claim: "\"LiSA, which implements the LISA structure in over half of its layers, maintains "
                            + "comparable performance as the original model … In comparison, directly sharing "
                            + "attention (DS) leads to significant performance declines\" (§5.4; Table 2: LLaMA3-8B + "
                            + "LiSA (17) 96.77 % vs DS (17) 46.67 %)",
                        measurement: measured, agrees: agrees, why: why, finding: "d"))
            }
        }
        return rows
    }
}
