import Foundation
@testable import Site
import Testing

// The facts the index reads from a report's Markdown, on hand-written texts.

@Suite struct SiteFactsTests {
    @Test func studyHeaderGivesModelDigestSeedAndWallTime() {
        let md = """
            # Figure 3 — S1

            Study `fig3` (studies/fig3.yaml), run 2, lisa-studies 0.1.0. Model gemma-3-270m-q4_k_m.gguf (gemma3, 18 layers, \
            4 query heads; sha256 a5fd3b62230a…). Seed 20260123. Layers are 0-based.

            Capture: 23148 tokens in 223.0 s (104 tokens/s, 2 threads); analyses 0.8 s.
            """
        let f = MarkdownFacts.facts(md)
        #expect(f.model == "gemma-3-270m-q4_k_m.gguf")
        #expect(f.sha256 == "a5fd3b62230a")
        #expect(f.seeds == [20260123])
        #expect(f.wallSeconds == 223.8)
        #expect(f.date == nil)
        #expect(f.verdict == nil)
    }

    @Test func sensitivityHeaderAndStatedDate() {
        let md =
            "Model: `models/gemma-3-270m-q4_k_m.gguf` (sha256 `a5fd3b62230aa5ec…`), study run 1, seed 1234. "
            + "Scoring time 2319 s for all configurations. Measured 2026-11-23 on 2 cores, again 2026-11-30."
        let f = MarkdownFacts.facts(md)
        #expect(f.model == "gemma-3-270m-q4_k_m.gguf")
        #expect(f.sha256 == "a5fd3b62230aa5ec")
        #expect(f.seeds == [1234])
        #expect(f.wallSeconds == 2319)
        #expect(f.date == "2026-11-23" && f.dateSource == "stated")
    }

    @Test func verdictTableIsCountedByAnswer() {
        let md = """
            | claim | ours ± s.e. | agrees | why, if not |
            |---|---|---|---|
            | (a) adjacent JSD small | 0.08 ± 0.01 | **yes** | |
            | (b) position ≈ random | 0.19 vs 0.20 | yes | |
            | (c) shallow sensitive | — | partly | 4 heads |
            | (d) LiSA keeps | — | No (see §2) | floor |

            | other | table |
            |---|---|
            | yes | no |
            """
        #expect(MarkdownFacts.verdict(md) == "yes 2 · partly 1 · no 1")
        #expect(MarkdownFacts.verdict("Some text.\n\n**Verdict:** agrees within noise\n") == "agrees within noise")
        #expect(MarkdownFacts.verdict("| agrees |\n|---|\n") == nil)
    }

    @Test func commandsFromCodeBlocksAndInlineCode() {
        let md = """
            ```sh
            $ lisa train --model m.gguf --layers 7,8 \\
              --tokens 128 --out a.safetensors
            lisa eval m.gguf --task piqa   # the baseline
            echo not a command
            scripts/table1-table9.sh DB MODEL 200 piqa
            ```
            Produced by `lisa table9 --db x.sqlite --sharing c.json`, see `lisa eval`.
            lisa eval outside a block is prose.
            """
        #expect(
            MarkdownFacts.commands(md) == [
                "lisa train --model m.gguf --layers 7,8 --tokens 128 --out a.safetensors",
                "lisa eval m.gguf --task piqa",
                "scripts/table1-table9.sh DB MODEL 200 piqa",
                "lisa table9 --db x.sqlite --sharing c.json",
            ])
    }

    @Test func durations() {
        #expect(IndexPage.duration(5.84) == "5.8 s")
        #expect(IndexPage.duration(223.8) == "3 min 44 s")
        #expect(IndexPage.duration(3599.6) == "1 h 00 min")
        #expect(IndexPage.duration(10_500) == "2 h 55 min")
        #expect(IndexPage.duration(.nan) == "—")
    }

    @Test func intrawordUnderscoresSurviveInk() {
        let md = "Model q4_k_m and `code_x` and [a_b](dir_x/f_y.png) and _emphasis_ here\n```\nraw_code\n```"
        let out = MarkdownPage.protectIntrawordUnderscores(md)
        #expect(
            out
                == "Model q4&#95;k&#95;m and `code_x` and [a&#95;b](dir_x/f_y.png) and _emphasis_ "
                + "here\n```\nraw_code\n```"
        )
        // an unmatched backtick (a code span Ink breaks at the line's end) protects nothing after it
        #expect(MarkdownPage.protectIntrawordUnderscores("`lisa bench q4_k_m") == "`lisa bench q4&#95;k&#95;m")
    }

    @Test func tablesAreParsedWithoutTheAlignmentRow() {
        let t = MarkdownTables.tables("text\n| a | b |\n|:--|--:|\n| 1 | 2 |\n| 3 |\nafter")
        #expect(t.count == 1)
        #expect(t.first?.header == ["a", "b"])
        #expect(t.first?.rows == [["1", "2"], ["3"]])
    }
}
