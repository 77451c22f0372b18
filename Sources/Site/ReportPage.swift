import Foundation

/// The page of one report: its facts, the commands that reproduce it, its data files, the report itself, a
/// table of its evaluation results and any figure of the folder the report does not show.
struct ReportPage {
    let entry: ReportEntry
    let links: SiteLinks
    /// Site paths (relative to the site root) of the CSV tables generated from the folder's evaluation results.
    let generatedCSVs: [String]

    func body() -> String {
        let e = entry, f = e.facts
        let seen = MarkdownPage.Seen()
        let report = MarkdownPage(links: links, slug: e.slug, depth: 1).html(withoutTitle(e.markdown), seen: seen)
        var s = "<h1>\(HTML.escape(e.title))</h1>\n<dl class=\"facts\">\n"
        func row(_ k: String, _ v: String) { s += "<dt>\(k)</dt><dd>\(v)</dd>\n" }
        row("Kind", e.kind.rawValue)
        row("Model", f.model.map { HTML.escape($0) } ?? "—")
        row(
            "SHA-256",
            f.sha256.map { d in
                "<span class=\"sha\">\(HTML.escape(d))\(d.count < 64 ? "… (prefix, as the report prints it)" : "")</span>"
                    + (f.sha256Note.map { " <small>(\(IndexPage.shaNotes[$0] ?? $0))</small>" } ?? "")
            } ?? "—")
        row("Date", IndexPage.date(f))
        row("Seed", f.seeds.isEmpty ? "—" : f.seeds.map(String.init).joined(separator: ", "))
        row("Samples", f.samples.map { HTML.escape($0) } ?? "—")
        row("Wall time", f.wallSeconds.map(IndexPage.duration) ?? "—")
        row("Verdict", f.verdict.map { HTML.escape($0) } ?? "— (none stated yet)")
        s += "</dl>\n"

        s += "<h2>Reproduce</h2>\n"
        if f.commands.isEmpty {
            s += "<p>The report states no command; its text says how it was made.</p>\n"
        } else {
            s +=
                "<p>From the repository root (a study run records everything in "
                + "<code>reports/lisa.sqlite</code>):</p>\n"
            s += "<pre><code>" + f.commands.map(HTML.escape).joined(separator: "\n") + "</code></pre>\n"
        }

        s += "<h2>Data</h2>\n<ul class=\"files\">\n"
        let csvs = e.csvFiles.map { "\(e.slug)/\($0)" } + generatedCSVs
        for p in csvs {
            s += "<li><a href=\"\(HTML.url(SiteLinks.href(p, depth: 1)))\">\(HTML.escape(name(p)))</a> (CSV)</li>\n"
        }
        if csvs.isEmpty { s += "<li>No CSV table is committed with this report yet.</li>\n" }
        for rel in e.files where !["csv", "png", "svg"].contains(ext(rel)) {
            s += "<li><a href=\"\(HTML.url(rel))\">\(HTML.escape(rel))</a></li>\n"
        }
        if let study = e.studyFile?.lastPathComponent {
            s +=
                "<li><a href=\"\(HTML.url("../studies/\(study)"))\">studies/\(HTML.escape(study))</a> (study "
                + "file)</li>\n"
        }
        s += "</ul>\n"

        s += "<h2>Report</h2>\n<article>\n\(report)\n</article>\n"
        if !e.evalResults.isEmpty { s += evalTable() }
        let more = e.figures.filter {
            !seen.images.contains("\(e.slug)/\($0)") && !($0.hasSuffix(".svg") && hasPNG($0))
        }
        if !more.isEmpty {
            s += "<h2>More figures of this folder</h2>\n"
            for rel in more {
                s +=
                    "<p>"
                    + MarkdownPage.figure(
                        path: "\(e.slug)/\(rel)", alt: HTML.escape(rel), depth: 1, copied: links.copied)
                    + "<br><code>\(HTML.escape(rel))</code></p>\n"
            }
        }
        return s
    }

    /// The Markdown less its first `# ` heading, which the page prints as its own title.
    func withoutTitle(_ md: String) -> String {
        var lines = md.components(separatedBy: "\n")
        if let i = lines.firstIndex(where: { $0.hasPrefix("# ") }) { lines.remove(at: i) }
        return lines.joined(separator: "\n")
    }

    func hasPNG(_ svg: String) -> Bool { entry.files.contains(String(svg.dropLast(3)) + "png") }

    func name(_ sitePath: String) -> String { String(sitePath.dropFirst(entry.slug.count + 1)) }

    /// One row per result file: task, shots, n, primary metric with its standard error, time.
    func evalTable() -> String {
        var s = "<h2>Evaluation results in this folder</h2>\n<div class=\"table-wrap\"><table>\n"
        s +=
            "<thead><tr><th>file</th><th>task</th><th>shots</th><th>seed</th><th>n</th><th>metric</th><th>value</th>"
            + "<th>± s.e.</th><th>seconds</th></tr></thead>\n<tbody>\n"
        for (run, r) in entry.evalResults {
            let m = r.primaryMetric ?? r.metrics.keys.sorted().first ?? ""
            let v = r.metrics[m].map { String(format: "%.4f", $0) } ?? "—"
            let se = r.standardErrors?[m].map { String(format: "%.4f", $0) } ?? "—"
            s +=
                "<tr><td><a href=\"\(HTML.url(run + ".json"))\">\(HTML.escape(run)).json</a></td><td>\(HTML.escape(r.task))</td>"
            s +=
                "<td class=\"num\">\(r.shots.map(String.init) ?? "—")</td><td "
                + "class=\"num\">\(r.seed.map(String.init) ?? "—")</td>"
            s +=
                "<td class=\"num\">\(r.n)</td><td>\(HTML.escape(m))</td><td class=\"num\">\(v)</td><td "
                + "class=\"num\">\(se)</td>"
            s += "<td class=\"num\">\(r.seconds.map { String(format: "%.1f", $0) } ?? "—")</td></tr>\n"
        }
        return s + "</tbody></table></div>\n"
    }
}
