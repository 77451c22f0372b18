import Foundation

/// The table of every study and evaluation, and the front page built around it.
enum IndexPage {
    static let columns = [
        "Report", "Kind", "Model", "SHA-256", "Date", "Seed", "Samples", "Wall time", "Verdict", "Data",
    ]

    static func table(_ entries: [ReportEntry], generatedCSVs: [String: [String]]) -> String {
        var s = "<div class=\"table-wrap\"><table class=\"index\">\n<thead><tr>"
        s += columns.map { "<th>\($0)</th>" }.joined() + "</tr></thead>\n<tbody>\n"
        for e in entries {
            let f = e.facts
            let csvs = e.csvFiles.count + (generatedCSVs[e.slug]?.count ?? 0)
            let link = "<a href=\"\(HTML.url("\(e.slug)/index.html"))\">\(HTML.escape(e.slug))</a>"
            let sha = f.sha256.map { d -> String in
                "<span class=\"sha\" title=\"\(HTML.escape(d))\">\(HTML.escape(String(d.prefix(12))))…</span>"
                    + (f.sha256Note == "by file name" ? " <small>(by name)</small>" : "")
            }
            let seeds = f.seeds.map(String.init).joined(separator: ", ")
            var cells: [String] = []
            cells.append(link + "<br><small>\(HTML.escape(e.title))</small>")
            cells.append(e.kind.rawValue)
            cells.append(f.model.map(HTML.escape) ?? "—")
            cells.append(sha ?? "—")
            cells.append(date(f))
            cells.append(seeds.isEmpty ? "—" : seeds)
            cells.append(f.samples.map(HTML.escape) ?? "—")
            cells.append(f.wallSeconds.map(duration) ?? "—")
            cells.append(f.verdict.map(HTML.escape) ?? "—")
            cells.append(csvs == 0 ? "—" : "\(csvs) CSV")
            // date, seed, wall time and data stay on one line
            let nowrap: Set<Int> = [4, 5, 7, 9]
            s +=
                "<tr>"
                + cells.enumerated().map { nowrap.contains($0) ? "<td class=\"nowrap\">\($1)</td>" : "<td>\($1)</td>" }
                .joined() + "</tr>\n"
        }
        return s + "</tbody></table></div>\n"
    }

    static let shaNotes = [
        "prefix completed":
            "the report prints a prefix; completed from the one full digest with it in the committed reports",
        "by file name": "not stated by this report; the digest other reports give for this model file",
    ]

    static func date(_ f: ReportFacts) -> String {
        guard let d = f.date else { return "—" }
        return f.dateSource == "commit" ? "\(HTML.escape(d)) <small>(commit)</small>" : HTML.escape(d)
    }

    /// "3 min 44 s", "52 min 41 s", "1 h 07 min", "12.4 s".
    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "—" }
        if seconds < 60 { return String(format: "%.1f s", seconds) }
        let t = Int(seconds.rounded())
        if t < 3600 { return "\(t / 60) min \(t % 60) s" }
        return String(format: "%d h %02d min", t / 3600, (t % 3600) / 60)
    }

    /// reports.html: the table alone.
    static func reportsBody(_ entries: [ReportEntry], generatedCSVs: [String: [String]]) -> String {
        "<h1>All reports</h1>\n<p>\(entries.count) report folders of <code>reports/</code>. " + legend + "</p>\n"
            + table(entries, generatedCSVs: generatedCSVs)
    }

    /// index.html: reports/FINDINGS.md rendered, or, while it does not exist, the table with a notice.
    static func frontBody(findingsHTML: String?, entries: [ReportEntry], generatedCSVs: [String: [String]]) -> String {
        if let f = findingsHTML {
            return "<article>\n\(f)\n</article>\n<h2>Reports</h2>\n<p>Every study and evaluation: "
                + "<a href=\"reports.html\">all reports</a> (\(entries.count)).</p>\n"
        }
        return "<h1>lisa-workbench results</h1>\n"
            + "<p class=\"notice\"><strong>Findings pending.</strong> <code>reports/FINDINGS.md</code>, the paper's "
            + "four "
            + "core findings against our measurements, does not exist yet; until it does, this index of every study "
            + "and "
            + "evaluation is the front page.</p>\n<p>" + legend + "</p>\n"
            + table(entries, generatedCSVs: generatedCSVs)
    }

    static let legend =
        "Facts are read from each report and its study file; \"—\" means the report does not state it "
        + "(a verdict shows once a report has a table with an \"agrees\" column, or a \"Verdict:\" line). Dates marked "
        + "(commit) are the last commit of the folder."
}
