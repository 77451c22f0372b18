import Foundation
import Ink

/// A report's Markdown as HTML (Ink), with every image and link rewritten for the site: figures become an SVG
/// with a PNG fallback where both exist, links point at the site's copies, tables scroll inside their box.
struct MarkdownPage {
    let links: SiteLinks
    /// The report folder whose Markdown this is (nil: reports/FINDINGS.md on the front page).
    let slug: String?
    /// Folders between the page and the site root (1 for `<slug>/index.html`).
    let depth: Int

    /// Site paths of the images the Markdown shows.
    final class Seen { var images: Set<String> = [] }

    func html(_ markdown: String, seen: Seen = Seen()) -> String {
        var parser = MarkdownParser()
        parser.addModifier(Modifier(target: .images) { input in self.image(input.html, seen: seen) })
        parser.addModifier(Modifier(target: .links) { input in self.link(input.html) })
        parser.addModifier(Modifier(target: .tables) { input in "<div class=\"table-wrap\">\(input.html)</div>" })
        return parser.html(from: Self.protectIntrawordUnderscores(markdown))
    }

    /// Ink reads an underscore inside a word as emphasis ("q4_k_m" → "q4<em>k</em>m"); CommonMark does not. Such
    /// underscores become the entity `&#95;`, which Ink passes through, except in code and link targets.
    static func protectIntrawordUnderscores(_ md: String) -> String {
        var out: [String] = [], fenced = false
        for line in md.components(separatedBy: "\n") {
            if line.trimmingCharacters(in: .whitespaces).hasPrefix("```") {
                fenced.toggle(); out.append(line); continue
            }
            if fenced || !line.contains("_") { out.append(line); continue }
            let chars = Array(line)
            // Ink ends a code span at the line's end: an unmatched last backtick opens none.
            let ticks = chars.indices.filter { chars[$0] == "`" }
            let unmatched = ticks.count % 2 == 1 ? ticks.last : nil
            var s = "", inCode = false, targetDepth = 0
            for (i, c) in chars.enumerated() {
                if c == "`", i != unmatched { inCode.toggle() }
                if !inCode {
                    if c == "(", i > 0, chars[i - 1] == "]" || targetDepth > 0 { targetDepth += 1 }
                    if c == ")", targetDepth > 0 { targetDepth -= 1 }
                }
                let word = { (k: Int) in k >= 0 && k < chars.count && (chars[k].isLetter || chars[k].isNumber) }
                if c == "_", !inCode, targetDepth == 0, word(i - 1), word(i + 1) { s += "&#95;" } else { s.append(c) }
            }
            out.append(s)
        }
        return out.joined(separator: "\n")
    }

    func image(_ html: String, seen: Seen) -> String {
        let src = attribute("src", html) ?? ""
        let alt = attribute("alt", html) ?? ""
        guard case .site(let path) = links.resolve(src, from: slug) else {
            return "<span class=\"missing\">[figure not in the site: \(HTML.escape(src))]</span>"
        }
        seen.images.insert(path)
        return Self.figure(path: path, alt: alt, depth: depth, copied: links.copied)
    }

    /// `<picture>` with the SVG as the preferred source when an SVG sits beside a PNG, else the image alone.
    static func figure(path: String, alt: String, depth: Int, copied: Set<String>) -> String {
        let src = SiteLinks.href(path, depth: depth)
        let img = "<img src=\"\(HTML.url(src))\" alt=\"\(alt)\" loading=\"lazy\">"
        guard ext(path) == "png" else { return img }
        let svg = String(path.dropLast(3)) + "svg"
        guard copied.contains(svg) else { return img }
        return
            "<picture><source srcset=\"\(HTML.url(SiteLinks.href(svg, depth: depth)))\" "
            + "type=\"image/svg+xml\">\(img)</picture>"
    }

    func link(_ html: String) -> String {
        let href = attribute("href", html) ?? ""
        let inner = innerHTML(html)
        switch links.resolve(href, from: slug) {
        case .site(let p): return "<a href=\"\(HTML.url(SiteLinks.href(p, depth: depth)))\">\(inner)</a>"
        case .fragment(let f): return "<a href=\"\(HTML.escape(f))\">\(inner)</a>"
        case .external(let u): return "\(inner) (<span class=\"external\">\(HTML.escape(u))</span>)"
        case .outside(let p):
            return "<span class=\"outside\" title=\"not part of the site: \(HTML.escape(p))\">\(inner)</span>"
        }
    }

    func attribute(_ name: String, _ html: String) -> String? {
        MarkdownFacts.first(#"\b"# + name + #"="([^"]*)""#, html)
    }

    func innerHTML(_ html: String) -> String {
        guard let open = html.firstIndex(of: ">"), let close = html.range(of: "</a>", options: .backwards) else {
            return html
        }
        return String(html[html.index(after: open)..<close.lowerBound])
    }
}

enum HTML {
    static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// A relative URL as an attribute value: escaped, and with spaces and other URL-unsafe characters of a path
    /// percent-encoded.
    static func url(_ s: String) -> String {
        escape(s.addingPercentEncoding(withAllowedCharacters: .urlFragmentAllowed.union(["#"])) ?? s)
    }
}
