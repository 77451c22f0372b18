import Foundation
@testable import Site
import Testing
import TestSupport

// The site built from a small written repository (two report folders, a study file, an evaluation result), whose
// every expected value is known by hand.

struct FixtureRepo {
    let root: URL
    var reports: URL { root.appendingPathComponent("reports") }
    var studies: URL { root.appendingPathComponent("studies") }
    static let sha = "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"

    init() throws {
        root = try TestPaths.tempDir("site-fixture")
        let alpha = """
            # Alpha — a study

            Study `alpha` (studies/alpha.yaml), run 1. Model x_1b.gguf (llama, 2 layers; sha256 a5fd3b62230a…). Seed 7.

            Capture: 100 tokens in 99.5 s (1 tokens/s, 2 threads); analyses 0.5 s.

            ![alpha S1](alpha-s1.png)

            See [the beta report](../beta/report.md), [the study file](../../studies/alpha.yaml), [the web](https://example.org/x),
            [a missing file](nothere.txt), [the data](data_table.csv) and [a section](#verdict).

            | claim | ours | agrees | why |
            |---|---|---|---|
            | one | 1 | yes | |
            | two | 2 | partly | small |

            ```sh
            lisa eval models/x_1b.gguf --task piqa --limit 6
            ```

            """
        try write("reports/alpha/report.md", alpha)
        for f in ["alpha-s1.png", "alpha-s1.svg", "extra.png", "tmp/junk.png"] {
            try write("reports/alpha/\(f)", "bytes of \(f)")
        }
        try write("reports/alpha/data_table.csv", "layer,jsd\n0,0.5\n")
        try write(
            "studies/alpha.yaml",
            """
            # Measured 2026-01-02 on two cores.
            name: alpha
            title: "Alpha"
            model: models/x_1b.gguf
            seed: 7
            datasets:
              - {task: piqa, samples: 6}
              - {task: gsm8k, samples: 2}
            analyses: [s1]

            """)
        try write("reports/beta/report.md", "# Beta — evaluations\n\nTwo documents of PIQA.\n")
        try write("reports/beta/config.json", "{\"model_sha256\": \"\(Self.sha)\", \"layers\": []}")
        try write(
            "reports/beta/runs/r1.json",
            """
            {"task":"piqa","n":2,"shots":0,"seed":1234,"primaryMetric":"acc_norm","metrics":{"acc":0.5,"acc_norm":1.0},
             "standardErrors":{"acc":0.5,"acc_norm":0.0},"seconds":12.5,"tokensRun":40,"policies":{},
             "documents":[{"index":7,"gold":0,"prediction":"0","logLikelihoods":[-1.5,-2.25],"scores":{"acc":1,"acc_norm":1}},
                          {"index":3,"gold":1,"prediction":"0","logLikelihoods":[-3.0,-3.5],"scores":{"acc":0,"acc_norm":1}}]}
            """)
    }

    func write(_ rel: String, _ text: String) throws {
        let u = root.appendingPathComponent(rel)
        try FileManager.default.createDirectory(at: u.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: u)
    }

    @discardableResult
    func build(_ out: URL) throws -> SiteBuilder.Summary {
        try SiteBuilder.build(.init(reportsDir: reports, studiesDir: studies, outDir: out, repoRoot: root))
    }
}

@Suite struct SiteBuildTests {
    func read(_ u: URL) throws -> String { try String(contentsOf: u, encoding: .utf8) }

    @Test func indexRowsCarryTheFactsOfEachReport() throws {
        let repo = try FixtureRepo()
        let out = repo.root.appendingPathComponent("site")
        let s = try repo.build(out)
        #expect(s.reports == 2 && !s.findings)
        #expect(s.pages == ["index.html", "reports.html", "alpha/index.html", "beta/index.html"])
        let table = try read(out.appendingPathComponent("reports.html"))
        func row(_ slug: String) throws -> [String] {
            let r = try #require(
                table.components(separatedBy: "<tr>").first { $0.contains("href=\"\(slug)/index.html\"") })
            return r.components(separatedBy: "</td>").dropLast().map {
                $0.components(separatedBy: ">").dropFirst()
                    .joined(separator: ">")
            }
        }
        let a = try row("alpha")
        #expect(a.count == IndexPage.columns.count)
        #expect(a[1] == "study")
        #expect(a[2] == "x_1b.gguf")
        #expect(a[3].contains("title=\"\(FixtureRepo.sha)\""))  // the prefix completed from beta's config
        #expect(a[4] == "2026-01-02")  // stated in the study file
        #expect(a[5] == "7")
        #expect(a[6] == "piqa 6, gsm8k 2")
        #expect(a[7] == "1 min 40 s")  // 99.5 + 0.5 s
        #expect(a[8] == "yes 1 · partly 1")
        #expect(a[9] == "1 CSV")
        let b = try row("beta")
        #expect(b[1] == "evaluation")
        #expect(b[2] == "—" && b[4] == "—")  // no model, no date, no git here
        #expect(b[3].contains("title=\"\(FixtureRepo.sha)\""))
        #expect(b[5] == "1234" && b[6] == "piqa 2" && b[7] == "12.5 s" && b[8] == "—" && b[9] == "3 CSV")

        let front = try read(out.appendingPathComponent("index.html"))
        #expect(front.contains("Findings pending"))
        #expect(front.contains("href=\"alpha/index.html\""))
    }

    @Test func reportPageRewritesFiguresAndLinks() throws {
        let repo = try FixtureRepo()
        let out = repo.root.appendingPathComponent("site")
        try repo.build(out)
        let page = try read(out.appendingPathComponent("alpha/index.html"))
        #expect(page.contains("<h1>Alpha — a study</h1>"))
        #expect(
            page.contains(
                "<picture><source srcset=\"../alpha/alpha-s1.svg\" type=\"image/svg+xml\">"
                    + "<img src=\"../alpha/alpha-s1.png\" alt=\"alpha S1\" loading=\"lazy\"></picture>"))
        #expect(page.contains("<a href=\"../beta/index.html\">the beta report</a>"))
        #expect(page.contains("<a href=\"../studies/alpha.yaml\">the study file</a>"))
        #expect(page.contains("<a href=\"../alpha/data_table.csv\">the data</a>"))
        #expect(page.contains("<a href=\"#verdict\">a section</a>"))
        #expect(page.contains("the web (<span class=\"external\">https://example.org/x</span>)"))
        #expect(!page.contains("href=\"https:"))
        #expect(page.contains("title=\"not part of the site: nothere.txt\">a missing file</span>"))
        #expect(page.contains("Model x&#95;1b.gguf"))  // not "x<em>1b</em>"
        #expect(
            page.contains(
                "<pre><code>lisa study run studies/alpha.yaml\nlisa report --study alpha\n"
                    + "lisa eval models/x_1b.gguf --task piqa --limit 6</code></pre>"))
        // extra.png is in the folder but not in the report; the SVG beside the shown PNG is not listed again
        #expect(page.contains("<img src=\"../alpha/extra.png\""))
        #expect(page.components(separatedBy: "alpha-s1.svg").count == 2)
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("alpha/tmp").path))
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("studies/alpha.yaml").path))
    }

    @Test func evaluationResultsBecomeTidyCSVs() throws {
        let repo = try FixtureRepo()
        let out = repo.root.appendingPathComponent("site")
        try repo.build(out)
        let csv = out.appendingPathComponent("beta/csv")
        #expect(
            try read(csv.appendingPathComponent("eval-runs.csv")) == """
                run,task,shots,seed,n,primary_metric,metric,value,stderr,seconds,tokens
                runs/r1,piqa,0,1234,2,acc_norm,acc,0.5,0.5,12.5,40
                runs/r1,piqa,0,1234,2,acc_norm,acc_norm,1.0,0.0,12.5,40

                """)
        #expect(
            try read(csv.appendingPathComponent("eval-documents.csv")) == """
                run,ordinal,doc_index,gold,prediction,metric,score
                runs/r1,0,7,0,0,acc,1.0
                runs/r1,0,7,0,0,acc_norm,1.0
                runs/r1,1,3,1,0,acc,0.0
                runs/r1,1,3,1,0,acc_norm,1.0

                """)
        #expect(
            try read(csv.appendingPathComponent("eval-loglikelihoods.csv")) == """
                run,doc_index,choice,log_likelihood,gold
                runs/r1,7,0,-1.5,1
                runs/r1,7,1,-2.25,0
                runs/r1,3,0,-3.0,0
                runs/r1,3,1,-3.5,1

                """)
        let page = try read(out.appendingPathComponent("beta/index.html"))
        #expect(page.contains("<a href=\"../beta/csv/eval-runs.csv\">csv/eval-runs.csv</a> (CSV)"))
        #expect(
            page.contains(
                "<td class=\"num\">2</td><td>acc_norm</td><td class=\"num\">1.0000</td><td class=\"num\">0.0000</td>"))
    }

    @Test func findingsBecomeTheFrontPage() throws {
        let repo = try FixtureRepo()
        try repo.write("reports/FINDINGS.md", "# Findings\n\n(a) holds on [alpha](alpha/report.md).\n")
        let out = repo.root.appendingPathComponent("site")
        let s = try repo.build(out)
        #expect(s.findings)
        let front = try read(out.appendingPathComponent("index.html"))
        #expect(front.contains("<h1>Findings</h1>"))
        #expect(front.contains("<a href=\"alpha/index.html\">alpha</a>"))
        #expect(!front.contains("Findings pending"))
        #expect(front.contains("href=\"reports.html\""))
    }

    @Test func everyLinkOfEveryPageIsRelativeAndResolves() throws {
        let repo = try FixtureRepo()
        try repo.write(
            "reports/FINDINGS.md", "# Findings\n\nSee [beta](beta/report.md) and [its data](beta/runs/r1.json).\n")
        let out = repo.root.appendingPathComponent("site")
        try repo.build(out)
        let pages = SiteLinkCheck.pages(out)
        #expect(pages.count == 4)
        for p in pages {
            let html = try read(p)
            #expect(SiteLinkCheck.problems(page: p, siteRoot: out, html: html) == [], "\(p.path)")
            #expect(SiteLinkCheck.targets(html).count >= 4)
        }
    }

    @Test func outputFolderRules() throws {
        let repo = try FixtureRepo()
        let out = repo.root.appendingPathComponent("site")
        try repo.build(out)
        try repo.build(out)  // an earlier site is replaced
        #expect(SiteLinkCheck.pages(out).count == 4)
        let other = repo.root.appendingPathComponent("other")
        try repo.write("other/keep.txt", "mine")
        #expect(throws: SiteError.outIsNotASite(other.path)) { try repo.build(other) }
        #expect(FileManager.default.fileExists(atPath: other.appendingPathComponent("keep.txt").path))
        let inside = repo.reports.appendingPathComponent("alpha/site")
        #expect(
            throws: SiteError.outInsideReport(
                out: inside.path, report: repo.reports.appendingPathComponent("alpha").path)
        ) {
            try repo.build(inside)
        }
        let none = repo.root.appendingPathComponent("none")
        #expect(throws: SiteError.noReportsFolder(none.path)) {
            try SiteBuilder.build(.init(reportsDir: none, studiesDir: repo.studies, outDir: out, repoRoot: repo.root))
        }
        #expect(SiteError.outIsNotASite("/x").description.contains("choose an empty or new folder with --out"))
    }
}
