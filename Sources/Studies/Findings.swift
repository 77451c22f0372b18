import Basics
import Foundation
import Store

// reports/FINDINGS.md (issue 17, item 3): the paper's four core findings × the models of the study files,
// each cell the verdicts of the claims tagged with that finding (`finding:` in a study's `claims:`),
// evaluated on the newest finished run of each study in the database. A cell with no finished run names the
// command that fills it; finding (d) stays pending until the LiSA work provides its runs.

public enum Findings {
    /// The four findings, as the paper states them.
    public static let statements: [(id: String, text: String)] = [
        (
            "a",
            "Attention is very similar across layers, above all between adjacent ones: most adjacent-layer S1 JSDs "
                + "are small "
                + "(\"below 0.05\", most scores \"lower around 0.1\") (§3.2, Fig 3, Fig 11)."
        ),
        (
            "b",
            "Aligning heads by position is no better than random pairing (JSD ≈ 0.2), while aligning each head with "
                + "its most "
                + "similar head recovers the similarity (< 0.1) (§3.2, Fig 5b–d)."
        ),
        (
            "c",
            "Shallow layers are sensitive to DS and uniform attention; deep layers tolerate even uniform attention "
                + "(§4.1, Figs 6 and 13)."
        ),
        (
            "d",
            "LiSA keeps the performance where DS collapses (§5.4, Table 2: 96.77 % vs 46.67 % preserved on LLaMA3-8B)."
        ),
    ]

    /// One study file's claims for one finding, with its verdicts on the newest finished run (nil: no run yet).
    struct Entry {
        let study: String
        let file: String
        let model: String
        let verdicts: [StudyVerdicts.Claim]?
        /// The verdicts come from the committed reports/<study>/verdicts.json, not from a run in the database.
        let fromReport: Bool
    }

    /// Builds FINDINGS.md from every study file in `studiesDir`: each study's verdicts from its newest finished run
    /// in `store`, else from the verdicts.json its report left in `reportsDir`/<study>/ (nil store: reports only).
    public static func markdown(
        store: LisaStore?, studiesDir: String, reportsDir: String, reportsLink: String = "."
    ) throws -> String {
        let files = try FileManager.default.contentsOfDirectory(atPath: studiesDir).filter { $0.hasSuffix(".yaml") }
            .sorted()
        var entries: [String: [Entry]] = [:]
        var models: [String] = []
        var problems: [String] = []
        var stale: Set<String> = []
        // every study file's name (and, for one that cannot be read, its file name): their reports are not read below
        var studyNames = Set(files.map { String($0.dropLast(".yaml".count)) })
        for f in files {
            let path = (studiesDir as NSString).appendingPathComponent(f)
            let name: String
            let model: String
            let claims: [ClaimSpec]
            let tasks: [String]
            let seed: UInt64
            let params: String
            do {
                if studyKind(path) == .sensitivity {
                    let s = try SensitivityStudySpec.load(path)
                    (name, model, claims, tasks, seed, params) = (
                        s.name, s.model, s.claims ?? [], s.tasks.map(\.task), s.seed, s.parametersJSON()
                    )
                } else {
                    let s = try StudySpec.load(path)
                    (name, model, claims, tasks, seed, params) = (
                        s.name, s.model, s.claims ?? [], try s.tasks().map(\.rawValue), s.seed,
                        s.parametersJSON()
                    )
                }
            } catch {
                problems.append("\(f): \(error)")
                continue
            }
            studyNames.insert(name)
            let tagged = claims.filter { $0.finding != nil }
            guard !tagged.isEmpty else { continue }
            let modelName = URL(fileURLWithPath: model).deletingPathExtension().lastPathComponent
            if !models.contains(modelName) { models.append(modelName) }
            var verdicts: [StudyVerdicts.Claim]?
            var fromReport = false
            // the newest finished run with the study file's parameters, else the newest finished run (flagged)
            let finished = try store?.allRuns().filter { $0.study == name && $0.status == .finished } ?? []
            let current = finished.last { $0.parameters == params }
            if let store, let run = current ?? finished.last {
                if current == nil { stale.insert(name) }
                var ctx = VerdictContext(store: store, runId: run.id!, tasks: tasks, seed: seed)
                ctx.sensitivityMetrics = try storedSweeps(store: store, runId: run.id!).mapValues(\.metric)
                verdicts = StudyVerdicts(
                    study: name, model: modelName, parameters: run.parameters, source: "", claims: claims,
                    verdicts: ctx.evaluate(claims)
                ).claims
            } else if let saved = try StudyVerdicts.load(
                dir: URL(fileURLWithPath: reportsDir).appendingPathComponent(name))
            {
                if saved.parameters != params { stale.insert(name) }
                verdicts = saved.claims
                fromReport = true
            }
            for id in Set(tagged.compactMap(\.finding)) {
                entries[id, default: []].append(
                    Entry(
                        study: name, file: "studies/\(f)", model: modelName,
                        verdicts: verdicts?.filter { $0.finding == id }, fromReport: fromReport))
            }
        }
        // reports that are not studies but judge tagged claims (`lisa table2 --verdicts`: finding (d) from Table 2's
        // LiSA rows), each from its verdicts.json
        let dirs = (try? FileManager.default.contentsOfDirectory(atPath: reportsDir))?.sorted() ?? []
        for d in dirs where !studyNames.contains(d) {
            let dir = URL(fileURLWithPath: reportsDir).appendingPathComponent(d)
            guard let saved = try? StudyVerdicts.load(dir: dir), saved.study == d,
                saved.source.hasPrefix(StudyVerdicts.table2Source)
            else { continue }
            if !models.contains(saved.model) { models.append(saved.model) }
            for id in Set(saved.claims.compactMap(\.finding)) {
                entries[id, default: []].append(
                    Entry(
                        study: d, file: "", model: saved.model, verdicts: saved.claims.filter { $0.finding == id },
                        fromReport: true))
            }
        }
        var s = "# The paper's four core findings on our two models\n\n"
        s +=
            "Generated by `lisa findings` from the study files (`claims:` with `finding:`) and the newest finished "
            + "run of each "
            + "study in the database, or, for a study with no run there, the verdicts its committed report recorded "
            + "(reports/<study>/verdicts.json; marked \"from its report\"). Each cell: the verdict (yes / partly / no; n/a = nothing to judge) of every "
            + "tagged claim, "
            + "with our measurement ± one standard error and the study report; rules in studies/VERDICTS.md. "
            + "A difference inside 2 s.e. is \"inside the noise\" and counts as partly.\n\n"
        // Gemma first (the workbench's default model), then the others by name
        models.sort {
            ($0.lowercased().contains("gemma") ? 0 : 1, $0) < ($1.lowercased().contains("gemma") ? 0 : 1, $1)
        }
        func cell(_ id: String, _ model: String) -> String {
            if id == "d" && (entries["d"] ?? []).filter({ $0.model == model && $0.verdicts != nil }).isEmpty {
                if model.lowercased().contains("qwen") {
                    return
                        "pending: the LiSA work trains Gemma only (FIGURES.md Table 2: LiSA rows Gemma only; Qwen "
                        + "training "
                        + "manages a few 10⁴ tokens per hour on this CPU); no Qwen checkpoint exists yet"
                }
                return "pending: needs the LiSA issue's trained checkpoints evaluated against DS on the same documents "
                    + "(Table 2 rows, on current data); no finished run yet"
            }
            let mine = (entries[id] ?? []).filter { $0.model == model }
            if mine.isEmpty { return "no study file declares this finding for this model" }
            return mine.map { e -> String in
                guard let v = e.verdicts else { return "not run yet: `lisa study run \(e.file)`" }
                let parts = v.map { "**\($0.agrees.rawValue)** — \($0.text)" }
                return "[\(e.study)](\(reportsLink)/\(e.study)/report.md)"
                    + (e.fromReport ? " (from its report)" : "")
                    + (stale.contains(e.study) ? " (run with other parameters than the study file; re-run it)" : "")
                    + ": " + parts.joined(separator: " / ")
            }.joined(separator: "<br>")
        }
        s +=
            "| finding | " + models.map(displayName).joined(separator: " | ") + " |\n|---|"
            + models.map { _ in "---|" }.joined() + "\n"
        for (id, text) in statements {
            s +=
                "| (\(id)) \(text) | "
                + models.map { cell(id, $0).replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ")
                + " |\n"
        }
        s += "\n## Overall\n\n"
        for (id, _) in statements {
            let judged = (entries[id] ?? []).compactMap(\.verdicts).flatMap { $0 }.map(\.agrees)
            s +=
                "- (\(id)): "
                + (judged.isEmpty
                    ? "no verdict yet"
                    : Agreement.combine(judged).rawValue
                        + " (\(judged.count) claim\(judged.count == 1 ? "" : "s") over "
                        + "\(Set((entries[id] ?? []).filter { $0.verdicts != nil }.map(\.model)).count) model(s))")
                + "\n"
        }
        if !problems.isEmpty { s += "\nStudy files that could not be read: " + problems.joined(separator: "; ") + "\n" }
        return s
    }

    /// "gemma-3-270m-q4_k_m" → "Gemma 3 270M (gemma-3-270m-q4_k_m)"; other names as they are.
    static func displayName(_ file: String) -> String {
        let l = file.lowercased()
        if l.hasPrefix("gemma-3-270m") { return "Gemma 3 270M (`\(file)`)" }
        if l.hasPrefix("qwen2.5-coder-1.5b") { return "Qwen2.5-Coder-1.5B (`\(file)`)" }
        return file
    }

    /// Writes FINDINGS.md to `out` (atomically) and returns its text.
    @discardableResult
    public static func write(store: LisaStore?, studiesDir: String, out: String) throws -> String {
        let reportsDir = (out as NSString).deletingLastPathComponent
        let text = try markdown(store: store, studiesDir: studiesDir, reportsDir: reportsDir.isEmpty ? "." : reportsDir)
        try writeAtomically(Data(text.utf8), to: out)
        return text
    }
}
