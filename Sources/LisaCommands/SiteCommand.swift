import ArgumentParser
import Foundation
import Site

/// `lisa site [--out DIR]`: the committed reports as a static site (Sources/Site does the work).
struct SiteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "site",
        abstract:
            "Build a static HTML site of reports/ (findings, an index of every study and evaluation, one page per "
            + "report).",
        discussion: """
            Example: lisa site --out reports/site

            Open reports/site/index.html in a browser: no server, no network, relative links only.
            """)
    @OptionGroup var reportsOption: ReportsOption
    @OptionGroup var studiesOption: StudiesOption
    var reports: String { reportsOption.reports }
    var studies: String { studiesOption.studies }
    @Option(help: "Output folder (replaced when it holds an earlier site; git-ignored by default).") var out =
        "reports/site"

    func validate() throws {
        try checkFolder(out, option: "--out")
    }

    func run() throws {
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        do {
            let s = try SiteBuilder.build(
                .init(
                    reportsDir: URL(fileURLWithPath: reports), studiesDir: URL(fileURLWithPath: studies),
                    outDir: URL(fileURLWithPath: out), repoRoot: cwd))
            print(
                "\(s.outDir.path)/index.html: \(s.pages.count) pages, \(s.reports) reports"
                    + (s.findings
                        ? ", FINDINGS.md as the front page" : "; findings pending (no \(reports)/FINDINGS.md)"))
        } catch let e as SiteError { throw CLIError(e.description) }
    }
}
