import Foundation

/// The HTML shell every page shares: one stylesheet, the navigation, the footer. No script, no web font, no
/// request outside the site.
enum PageTemplate {
    static func page(title: String, depth: Int, body: String, generator: String, wide: Bool = false) -> String {
        let up = String(repeating: "../", count: depth)
        return """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="color-scheme" content="light dark">
            <title>\(HTML.escape(title))</title>
            <link rel="stylesheet" href="\(up)style.css">
            </head>
            <body\(wide ? " class=\"wide\"" : "")>
            <header class="site"><nav><a href="\(up)index.html">lisa-workbench</a> · <a href="\(up)index.html">Findings</a> · \
            <a href="\(up)reports.html">All reports</a></nav></header>
            <main>
            \(body)
            </main>
            <footer>\(HTML.escape(generator))</footer>
            </body>
            </html>

            """
    }

    /// Light by default, dark where the reader's system prefers it; figures keep a light card in both, since the
    /// plots are drawn on white.
    static let stylesheet = """
        :root { --bg: #ffffff; --fg: #1b1f24; --muted: #57606a; --line: #d0d7de; --head: #f3f5f7; --zebra: #f8f9fb;
                --link: #0a58ca; --code: #f2f4f7; --accent: #b35900; }
        @media (prefers-color-scheme: dark) {
          :root { --bg: #111418; --fg: #e6e8eb; --muted: #a3acb6; --line: #3a424c; --head: #1d232a; --zebra: #171c22;
                  --link: #7cb7ff; --code: #1f262e; --accent: #ffb366; }
        }
        * { box-sizing: border-box; }
        html { background: var(--bg); color: var(--fg); }
        body { margin: 0 auto; max-width: 80rem; padding: 0 1.25rem 3rem; font: 16px/1.55 system-ui, -apple-system,
               "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
        body.wide { max-width: none; }
        header.site { border-bottom: 1px solid var(--line); padding: .75rem 0; margin-bottom: 1rem; }
        header.site a:first-child { font-weight: 700; }
        footer { border-top: 1px solid var(--line); margin-top: 3rem; padding-top: .75rem; color: var(--muted);
                 font-size: .85rem; }
        a { color: var(--link); }
        h1 { font-size: 1.7rem; line-height: 1.25; }
        h2 { font-size: 1.3rem; margin-top: 2rem; border-bottom: 1px solid var(--line); padding-bottom: .2rem; }
        h3 { font-size: 1.1rem; }
        code, pre { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: .9em; }
        code { background: var(--code); padding: .05rem .3rem; border-radius: 4px; }
        pre { background: var(--code); padding: .75rem 1rem; border-radius: 6px; overflow-x: auto; }
        pre code { background: none; padding: 0; }
        blockquote { margin: 1rem 0; padding: .25rem 1rem; border-left: 4px solid var(--accent); color: var(--muted); }
        .table-wrap { overflow-x: auto; margin: 1rem 0; }
        table { border-collapse: collapse; font-size: .92rem; }
        th, td { border: 1px solid var(--line); padding: .3rem .55rem; text-align: left; vertical-align: top; }
        thead th, th { background: var(--head); }
        tbody tr:nth-child(even) { background: var(--zebra); }
        td.nowrap { white-space: nowrap; }
        table.index { font-size: .85rem; }
        table.index td:nth-child(3) { white-space: nowrap; }
        table.index td:first-child { min-width: 16rem; }
        table.index small { color: var(--muted); }
        td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
        img { max-width: 100%; height: auto; background: #ffffff; border: 1px solid var(--line); border-radius: 4px;
              padding: 4px; }
        dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; background: var(--head);
                   border: 1px solid var(--line); border-radius: 6px; padding: .75rem 1rem; }
        dl.facts dt { color: var(--muted); }
        dl.facts dd { margin: 0; overflow-wrap: anywhere; }
        .notice { border: 1px solid var(--accent); border-radius: 6px; padding: .6rem 1rem; margin: 1rem 0; }
        .missing, .outside { color: var(--muted); }
        .missing { font-style: italic; }
        .sha { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: .85em; }
        ul.files { columns: 2 18rem; }

        """
}
