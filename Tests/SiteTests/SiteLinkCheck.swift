import Foundation

/// The targets of a page's `href`, `src` and `srcset` attributes, and which of them do not resolve to a file on
/// disk. Used on the HTML the builder wrote and on the DOM Chromium rendered from it.
enum SiteLinkCheck {
    static func targets(_ html: String) -> [String] {
        let re = try! NSRegularExpression(pattern: #"\b(href|src|srcset)\s*=\s*"([^"]*)""#)
        return re.matches(in: html, range: NSRange(html.startIndex..., in: html)).compactMap {
            Range($0.range(at: 2), in: html).map { decodeEntities(String(html[$0])) }
        }
    }

    static func decodeEntities(_ s: String) -> String {
        s.replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&lt;", with: "<")
            .replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&#95;", with: "_")
            .replacingOccurrences(of: "&amp;", with: "&")
    }

    /// Targets of `page` that are absolute, carry a scheme, or name no file below `siteRoot`.
    static func problems(page: URL, siteRoot: URL, html: String) -> [String] {
        var out: [String] = []
        let root = siteRoot.standardizedFileURL.path
        for t in targets(html) {
            if t.hasPrefix("#") { continue }
            if t.hasPrefix("/") || t.contains(":") { out.append("\(t): not a relative link"); continue }
            var path = t
            if let i = path.firstIndex(of: "#") { path = String(path[..<i]) }
            path = path.removingPercentEncoding ?? path
            let target = page.deletingLastPathComponent().appendingPathComponent(path).standardizedFileURL
            if !target.path.hasPrefix(root + "/") { out.append("\(t): outside the site"); continue }
            var isDir: ObjCBool = false
            if !FileManager.default.fileExists(atPath: target.path, isDirectory: &isDir) || isDir.boolValue {
                out.append("\(t): no file \(target.path)")
            }
        }
        return out
    }

    /// Every .html file below `root`.
    static func pages(_ root: URL) -> [URL] {
        let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)
        var out: [URL] = []
        while let u = walker?.nextObject() as? URL { if u.pathExtension == "html" { out.append(u) } }
        return out.sorted { $0.path < $1.path }
    }
}
