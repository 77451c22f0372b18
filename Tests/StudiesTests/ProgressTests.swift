import Basics
import Foundation
import Studies
import Testing

/// Issue 15 item 6: a run whose stderr is not a terminal still shows done/total, rate and ETA, one line per interval.
@Suite struct ProgressTests {
    final class Lines: @unchecked Sendable { var all: [String] = [] }

    @Test func periodicLinesCarryDoneTotalRateAndETA() {
        let out = Lines()
        let p = ProgressReporter(total: 4, label: "piqa", mode: .periodic(seconds: 0), write: { out.all.append($0) })
        for i in 1...4 { Thread.sleep(forTimeInterval: 0.01); p.update(i, newTokens: 10) }
        p.finish()
        #expect(out.all.count == 5)
        #expect(
            out.all.allSatisfy {
                $0.hasSuffix("\n") && $0.hasPrefix("piqa: ") && $0.contains("/s, ") && $0.contains(" elapsed, ETA ")
            })
        #expect(out.all[1].hasPrefix("piqa: 2/4 (50.0 %), "))
        #expect(out.all[3].contains("ETA 0 s"))
        #expect(out.all[4].hasPrefix("piqa: 4/4 (100.0 %), ") && out.all[4].hasSuffix(", done\n"))
        #expect(out.all[0].contains(" tok/s"))
    }

    /// A resumed run's stored items count towards done but not the rate: 50 stored, then 2 scored 0.1 s apart
    /// leave 48 to go at ~10/s, an ETA of seconds, not the "0 s" that 52 items in 0.2 s would give.
    @Test func resumedItemsDoNotInflateTheRate() throws {
        let out = Lines()
        let p = ProgressReporter(total: 100, label: "piqa", mode: .periodic(seconds: 0), write: { out.all.append($0) })
        p.resumed(50)
        for i in 51...52 { Thread.sleep(forTimeInterval: 0.1); p.update(i) }
        let last = try #require(out.all.last)
        #expect(last.hasPrefix("piqa: 52/100 (52.0 %), ") && last.hasSuffix(", 50 resumed\n"), "\(last)")
        let rate = try #require(Double(last.split(separator: ",")[1].trimmingCharacters(in: .whitespaces).dropLast(2)))
        #expect(rate > 2 && rate < 12, "\(last)")  // 2 items in ≥ 0.2 s, not 52
        // ETA = elapsed / 2 × 48 ≥ 4.8 s (at most a minute on the slowest machine), never the inflated "0 s"
        #expect(!last.contains("ETA 0 s") && !last.contains("ETA 1 s") && !last.contains("unknown"), "\(last)")
    }

    @Test func shortRunsPrintNothing() {
        let out = Lines()
        let p = ProgressReporter(total: 100, label: "x", mode: .periodic(seconds: 3600), write: { out.all.append($0) })
        for i in 1...100 { p.update(i) }
        p.finish()
        #expect(out.all.isEmpty)
    }

    /// Under swift test stderr is a pipe or a file; run from a terminal the automatic mode differs, so skip then.
    @Test(.enabled(if: isatty(2) == 0, "stderr is a terminal: the automatic progress mode is then the terminal one"))
    func modeFromTheEnvironment() {
        #expect(ProgressReporter.Mode.automatic(environment: [:]) == .periodic(seconds: 30))
        #expect(ProgressReporter.Mode.automatic(environment: ["LISA_PROGRESS_SECONDS": "5"]) == .periodic(seconds: 5))
        #expect(ProgressReporter.Mode.automatic(environment: ["LISA_PROGRESS_SECONDS": "off"]) == .off)
    }

    @Test func durationsReadInUnits() {
        #expect(ProgressReporter.duration(42) == "42 s")
        #expect(ProgressReporter.duration(570) == "9 min 30 s")
        #expect(ProgressReporter.duration(7500) == "2 h 05 min")
    }
}
