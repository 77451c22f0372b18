import Foundation

/// Where a link of a report's Markdown points in the built site. Every href the site writes is relative, so the
/// site works from file:// and from any folder it is copied to; a target outside the site becomes plain text.
struct SiteLinks {
    let reportsDir: URL
    let repoRoot: URL
    /// Report folder names that get a page (`<slug>/index.html`).
    let slugs: Set<String>
    /// Study files copied to `studies/<name>.yaml` in the site.
    let studies: Set<String>
    /// Files copied from each report folder (relative to reports/), so links to them resolve.
    let copied: Set<String>
    let hasFindings: Bool

    enum Target: Equatable {
        /// A path relative to the site root (no leading slash), with its fragment.
        case site(String)
        case fragment(String)
        /// A web address: the site needs no network, so it is printed, not linked.
        case external(String)
        /// A file that is not part of the site.
        case outside(String)
    }

    /// Resolves `href` as written in the Markdown of the page for `slug` (nil: the front page's FINDINGS.md).
    func resolve(_ href: String, from slug: String?) -> Target {
        let h = href.trimmingCharacters(in: .whitespaces)
        if h.hasPrefix("#") { return .fragment(h) }
        if h.contains("://") || h.hasPrefix("mailto:") || h.hasPrefix("data:") { return .external(h) }
        var path = h, fragment = ""
        if let i = path.firstIndex(where: { $0 == "#" || $0 == "?" }) {
            fragment = path[i] == "#" ? String(path[i...]) : ""
            path = String(path[..<i])
        }
        path = path.removingPercentEncoding ?? path
        let base = slug.map { reportsDir.appendingPathComponent($0) } ?? reportsDir
        for root in [base, repoRoot] {
            let url = (path.hasPrefix("/") ? URL(fileURLWithPath: path) : root.appendingPathComponent(path))
                .standardizedFileURL
            if let site = sitePath(of: url) { return .site(site + fragment) }
        }
        return .outside(h)
    }

    /// The site path of a file under reports/ or studies/, or nil when the site does not hold it.
    func sitePath(of url: URL) -> String? {
        let reports = reportsDir.standardizedFileURL.path + "/"
        let p = url.path
        if p.hasPrefix(reports) {
            let rel = String(p.dropFirst(reports.count))
            if rel == "FINDINGS.md" { return hasFindings ? "index.html" : nil }
            let parts = rel.split(separator: "/", maxSplits: 1).map(String.init)
            guard let slug = parts.first, slugs.contains(slug) else { return nil }
            if parts.count == 1 || parts[1] == "report.md" || parts[1].isEmpty { return "\(slug)/index.html" }
            return copied.contains(rel) ? rel : nil
        }
        let studiesPrefix = repoRoot.appendingPathComponent("studies").standardizedFileURL.path + "/"
        if p.hasPrefix(studiesPrefix) {
            let name = String(p.dropFirst(studiesPrefix.count))
            return studies.contains(name) ? "studies/\(name)" : nil
        }
        return nil
    }

    /// `sitePath` as an href from a page at `depth` folders below the site root.
    static func href(_ sitePath: String, depth: Int) -> String {
        String(repeating: "../", count: depth) + sitePath
    }
}
