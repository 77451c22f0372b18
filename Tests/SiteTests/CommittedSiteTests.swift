import Foundation
@testable import Site
import Testing
import TestSupport

// `lisa site` on the committed reports/: a page for every report folder, every link resolving, the facts of each
// study report agreeing with its study file.

@Suite struct CommittedSiteTests {
    static let reports = TestPaths.repoRoot.appendingPathComponent("reports")

    static var reportFolders: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: reports.path)) ?? []).filter {
            FileManager.default.fileExists(atPath: reports.appendingPathComponent("\($0)/report.md").path)
        }.sorted()
    }

    @Test func theBinaryBuildsTheSiteOfTheCommittedReports() throws {
        let out = try TestPaths.tempDir("site").appendingPathComponent("site")
        let r = try LisaBinary.run(["site", "--out", out.path])
        #expect(r.status == 0, "\(r.stderr)")
        let folders = Self.reportFolders
        #expect(!folders.isEmpty)
        #expect(r.stdout.contains("\(folders.count + 2) pages, \(folders.count) reports"))
        let table = try String(contentsOf: out.appendingPathComponent("reports.html"), encoding: .utf8)
        for f in folders {
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("\(f)/index.html").path), "\(f)")
            #expect(table.contains("<a href=\"\(f)/index.html\">\(f)</a>"), "\(f)")
        }
        let hasFindings = FileManager.default.fileExists(
            atPath: Self.reports.appendingPathComponent("FINDINGS.md").path)
        let front = try String(contentsOf: out.appendingPathComponent("index.html"), encoding: .utf8)
        #expect(front.contains("Findings pending") == !hasFindings)
        for page in SiteLinkCheck.pages(out) {
            let html = try String(contentsOf: page, encoding: .utf8)
            #expect(SiteLinkCheck.problems(page: page, siteRoot: out, html: html) == [], "\(page.path)")
            #expect(!html.contains("<em>k</em>"), "\(page.path): an underscore of a file name read as emphasis")
        }
    }

    /// Each report with a study file shows that file's seed and the sample count of each of its tasks.
    @Test func studyReportsShowTheirStudyFilesSeedAndCounts() throws {
        let out = try TestPaths.tempDir("site").appendingPathComponent("site")
        let root = TestPaths.repoRoot
        let s = try SiteBuilder.build(
            .init(
                reportsDir: Self.reports, studiesDir: root.appendingPathComponent("studies"),
                outDir: out, repoRoot: root))
        #expect(s.reports == Self.reportFolders.count)
        var checked = 0
        for f in Self.reportFolders {
            guard let yaml = try? String(contentsOf: root.appendingPathComponent("studies/\(f).yaml"), encoding: .utf8)
            else { continue }
            let page = try String(contentsOf: out.appendingPathComponent("\(f)/index.html"), encoding: .utf8)
            let seed = try #require(yaml.firstMatch(of: #/(?m)^seed:\s*(\d+)/#)?.1)
            #expect(page.contains("<dt>Seed</dt><dd>\(seed)</dd>"), "\(f)")
            for m in yaml.matches(of: #/task:\s*(\w+),\s*(?:samples|limit):\s*(\d+)/#) {
                #expect(page.contains("\(m.1) \(m.2)"), "\(f): \(m.1) \(m.2)")
            }
            #expect(page.contains("lisa study run studies/\(f).yaml"), "\(f)")
            checked += 1
        }
        #expect(checked >= 5)
    }
}
