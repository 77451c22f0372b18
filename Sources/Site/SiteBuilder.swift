import Foundation

/// `lisa site`: the committed reports/ as a static site. Nothing runs on a server and nothing is fetched: every
/// page, figure and data file lies in the output folder and every link is relative, so it opens from file://.
///
/// Layout of the output folder:
///   index.html          reports/FINDINGS.md, or (while it does not exist) the index with a "findings pending" note
///   reports.html        the index of every report folder
///   style.css
///   <slug>/index.html   one page per report folder, beside a copy of the folder's files (tmp/ left out)
///   <slug>/csv/*.csv    tidy tables made from the folder's evaluation result JSONs
///   studies/*.yaml      the study files the reports name
public enum SiteBuilder {
    /// The file that marks a folder as built by `lisa site`, so a rebuild may replace it.
    public static let marker = ".lisa-site"

    public struct Options {
        public var reportsDir: URL
        public var studiesDir: URL
        public var outDir: URL
        /// The repository (for `git log` dates and links to repository paths).
        public var repoRoot: URL
        public init(reportsDir: URL, studiesDir: URL, outDir: URL, repoRoot: URL) {
            self.reportsDir = reportsDir; self.studiesDir = studiesDir; self.outDir = outDir; self.repoRoot = repoRoot
        }
    }

    public struct Summary: Equatable {
        public var pages: [String]
        public var reports: Int
        public var findings: Bool
        public var outDir: URL
    }

    /// Builds the site into a fresh folder beside `outDir` and swaps it in, so a failure leaves the previous site.
    @discardableResult
    public static func build(_ o: Options) throws -> Summary {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: o.reportsDir.path, isDirectory: &isDir), isDir.boolValue else {
            throw SiteError.noReportsFolder(o.reportsDir.path)
        }
        let out = o.outDir.standardizedFileURL
        try checkOut(out, reportsDir: o.reportsDir)
        let staging = out.deletingLastPathComponent().appendingPathComponent(
            ".\(out.lastPathComponent).building-\(getpid())")
        try? fm.removeItem(at: staging)
        do {
            try fm.createDirectory(at: staging, withIntermediateDirectories: true)
            let summary = try write(o, into: staging, finalOut: out)
            if fm.fileExists(atPath: out.path) { try fm.removeItem(at: out) }
            try fm.moveItem(at: staging, to: out)
            return summary
        } catch {
            try? fm.removeItem(at: staging)
            if let e = error as? SiteError { throw e }
            throw SiteError.unwritable(path: out.path, reason: (error as NSError).localizedDescription)
        }
    }

    /// The output folder must be new, empty, or an earlier site; and it must not lie inside a report folder.
    static func checkOut(_ out: URL, reportsDir: URL) throws {
        let fm = FileManager.default
        let reports = reportsDir.standardizedFileURL.path + "/"
        if out.path.hasPrefix(reports) {
            let slug = out.path.dropFirst(reports.count).split(separator: "/").first.map(String.init) ?? ""
            if fm.fileExists(atPath: reportsDir.appendingPathComponent(slug).appendingPathComponent("report.md").path) {
                throw SiteError.outInsideReport(out: out.path, report: reportsDir.appendingPathComponent(slug).path)
            }
        }
        guard let items = try? fm.contentsOfDirectory(atPath: out.path), !items.isEmpty else { return }
        guard items.contains(marker) else { throw SiteError.outIsNotASite(out.path) }
    }

    static func write(_ o: Options, into dir: URL, finalOut: URL) throws -> Summary {
        let fm = FileManager.default
        let folders = try fm.contentsOfDirectory(at: o.reportsDir, includingPropertiesForKeys: nil)
            .filter { fm.fileExists(atPath: $0.appendingPathComponent("report.md").path) }
            .filter { $0.standardizedFileURL.path != finalOut.path }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        let known = knownSHAs(o.reportsDir)
        var entries = try folders.map {
            try ReportEntry.read(folder: $0, studiesDir: o.studiesDir, repoRoot: o.repoRoot, knownSHAs: known)
        }
        completeSHAsByModelName(&entries)
        let findingsURL = o.reportsDir.appendingPathComponent("FINDINGS.md")
        let findings = try? String(contentsOf: findingsURL, encoding: .utf8)

        var copied = Set<String>(), generated: [String: [String]] = [:]
        for e in entries {
            for rel in e.files {
                try copy(
                    e.folder.appendingPathComponent(rel),
                    to: dir.appendingPathComponent(e.slug).appendingPathComponent(rel))
                copied.insert("\(e.slug)/\(rel)")
            }
            generated[e.slug] = try writeEvalCSVs(e, into: dir.appendingPathComponent(e.slug))
        }
        let studies = Set(entries.compactMap { $0.studyFile?.lastPathComponent })
        for name in studies {
            try copy(
                o.studiesDir.appendingPathComponent(name),
                to: dir.appendingPathComponent("studies").appendingPathComponent(name))
        }
        let links = SiteLinks(
            reportsDir: o.reportsDir.standardizedFileURL, repoRoot: o.repoRoot.standardizedFileURL,
            slugs: Set(entries.map(\.slug)), studies: studies, copied: copied, hasFindings: findings != nil)
        let generator =
            "Built by lisa site \(generatorVersion) from reports/ (\(entries.count) reports); static files, "
            + "no server, relative links only."

        var pages: [String] = []
        func put(_ path: String, _ title: String, depth: Int, wide: Bool = false, _ body: String) throws {
            try text(
                PageTemplate.page(title: title, depth: depth, body: body, generator: generator, wide: wide),
                to: dir.appendingPathComponent(path))
            pages.append(path)
        }
        let findingsHTML = findings.map { MarkdownPage(links: links, slug: nil, depth: 0).html($0) }
        try put(
            "index.html", "lisa-workbench: findings and reports", depth: 0, wide: findings == nil,
            IndexPage.frontBody(findingsHTML: findingsHTML, entries: entries, generatedCSVs: generated))
        try put(
            "reports.html", "lisa-workbench: all reports", depth: 0, wide: true,
            IndexPage.reportsBody(entries, generatedCSVs: generated))
        for e in entries {
            let page = ReportPage(entry: e, links: links, generatedCSVs: generated[e.slug] ?? [])
            try put("\(e.slug)/index.html", e.title, depth: 1, page.body())
        }
        try text(PageTemplate.stylesheet, to: dir.appendingPathComponent("style.css"))
        try text("lisa site \(generatorVersion)\n", to: dir.appendingPathComponent(marker))
        return Summary(pages: pages, reports: entries.count, findings: findings != nil, outDir: finalOut)
    }

    public static let generatorVersion = "1"

    /// `csv/eval-runs.csv`, `csv/eval-documents.csv` and `csv/eval-loglikelihoods.csv`; site paths returned.
    static func writeEvalCSVs(_ e: ReportEntry, into dir: URL) throws -> [String] {
        guard !e.evalResults.isEmpty else { return [] }
        var tables = [
            ("eval-runs.csv", EvalCSV.runs(e.evalResults)), ("eval-documents.csv", EvalCSV.documents(e.evalResults)),
        ]
        if let ll = EvalCSV.logLikelihoods(e.evalResults) { tables.append(("eval-loglikelihoods.csv", ll)) }
        for (name, body) in tables {
            try text(body, to: dir.appendingPathComponent("csv").appendingPathComponent(name))
        }
        return tables.map { "\(e.slug)/csv/\($0.0)" }
    }

    /// A report that names its model file but no digest gets the digest other reports tie to that file name, when
    /// they all agree (scripts/setup checks each model file against one pinned SHA-256).
    static func completeSHAsByModelName(_ entries: inout [ReportEntry]) {
        var byName: [String: Set<String>] = [:]
        for e in entries {
            if let m = e.facts.model, let d = e.facts.sha256, d.count == 64 { byName[m, default: []].insert(d) }
        }
        for i in entries.indices where entries[i].facts.sha256 == nil {
            if let m = entries[i].facts.model, let d = byName[m], d.count == 1 {
                entries[i].facts.sha256 = d.first
                entries[i].facts.sha256Note = "by file name"
            }
        }
    }

    /// Full SHA-256 digests stated anywhere in the committed reports (sharing configs, reports), to complete the
    /// 12-character prefixes study reports print.
    static func knownSHAs(_ reportsDir: URL) -> [String] {
        var out = Set<String>()
        guard
            let walker = FileManager.default.enumerator(
                at: reportsDir, includingPropertiesForKeys: nil,
                options: [.skipsHiddenFiles])
        else { return [] }
        let base = reportsDir.standardizedFileURL.pathComponents.count
        for case let url as URL in walker where ["json", "md"].contains(url.pathExtension) {
            if url.standardizedFileURL.pathComponents.dropFirst(base).contains("tmp") { continue }
            guard let s = try? String(contentsOf: url, encoding: .utf8) else { continue }
            out.formUnion(MarkdownFacts.all(#"\b([0-9a-f]{64})\b"#, s))
        }
        return out.sorted()
    }

    static func copy(_ from: URL, to: URL) throws {
        let fm = FileManager.default
        do {
            try fm.createDirectory(at: to.deletingLastPathComponent(), withIntermediateDirectories: true)
            try fm.copyItem(at: from, to: to)
        } catch {
            throw SiteError.unwritable(
                path: to.path, reason: "copying \(from.path) failed: \((error as NSError).localizedDescription)")
        }
    }

    static func text(_ s: String, to url: URL) throws {
        do {
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(s.utf8).write(to: url)
        } catch {
            throw SiteError.unwritable(path: url.path, reason: (error as NSError).localizedDescription)
        }
    }
}
