import Foundation
import Yams

/// One report folder of reports/ (a folder holding report.md) with everything the site shows of it.
struct ReportEntry {
    enum Kind: String { case study, sensitivity = "sensitivity study", evaluation, report }

    /// The folder name, which is also the page's folder in the site.
    let slug: String
    let folder: URL
    let title: String
    let markdown: String
    let kind: Kind
    /// Files of the folder (relative paths, sorted), tmp/ and hidden files left out.
    let files: [String]
    /// The study file studies/<slug>.yaml, when there is one.
    let studyFile: URL?
    let evalResults: [(run: String, result: EvalResultFile)]
    var facts: ReportFacts

    static let imageExtensions: Set<String> = ["png", "svg", "jpg", "jpeg", "gif", "webp"]

    var figures: [String] { files.filter { Self.imageExtensions.contains(ext($0)) } }
    var csvFiles: [String] { files.filter { ext($0) == "csv" } }

    /// Reads one report folder. `knownSHAs` are full digests found in committed files, used to complete a prefix.
    static func read(folder: URL, studiesDir: URL, repoRoot: URL, knownSHAs: [String]) throws -> ReportEntry {
        let slug = folder.lastPathComponent
        let mdURL = folder.appendingPathComponent("report.md")
        let md: String
        do { md = try String(contentsOf: mdURL, encoding: .utf8) } catch {
            throw SiteError.unreadable(path: mdURL.path, reason: "not UTF-8 text or not readable")
        }
        let files = listFiles(folder)
        let evals = files.filter { ext($0) == "json" }.compactMap { rel in
            EvalResultFile.read(folder.appendingPathComponent(rel)).map { (run: String(rel.dropLast(5)), result: $0) }
        }
        let study = studiesDir.appendingPathComponent("\(slug).yaml")
        let studyFile = FileManager.default.fileExists(atPath: study.path) ? study : nil
        let studyYAML = studyFile.flatMap { try? String(contentsOf: $0, encoding: .utf8) }
        let studyKind = studyYAML.flatMap(StudyFacts.kind)
        let kind: Kind =
            studyFile != nil
            ? (studyKind == "sensitivity" ? .sensitivity : .study)
            : (evals.isEmpty ? .report : .evaluation)

        var facts = ReportFacts()
        if let meta = MetaFile.read(folder.appendingPathComponent("meta.json")) { facts = meta }
        if let y = studyYAML, studyFile != nil {
            var s = StudyFacts.facts(y)
            s.commands =
                ["lisa study run studies/\(slug).yaml"] + (kind == .study ? ["lisa report --study \(slug)"] : [])
            facts.fill(from: s)
        }
        // An evaluation folder's result files state its seeds and counts better than prose (which may name a
        // training seed).
        facts.fill(from: evalFacts(evals))
        facts.fill(from: MarkdownFacts.facts(md))
        if facts.sha256 == nil { facts.sha256 = configSHA(folder: folder, files: files) }
        if let short = facts.sha256, short.count < 64 {
            let matches = Set(knownSHAs.filter { $0.hasPrefix(short) })
            if matches.count == 1 { facts.sha256 = matches.first; facts.sha256Note = "prefix completed" }
        }
        if facts.date == nil, let d = commitDate(of: folder, repoRoot: repoRoot) {
            facts.date = d; facts.dateSource = "commit"
        }
        let title = MarkdownFacts.first(#"(?m)^#\s+(.+)$"#, md) ?? slug
        return ReportEntry(
            slug: slug, folder: folder, title: title, markdown: md, kind: kind, files: files,
            studyFile: studyFile, evalResults: evals, facts: facts)
    }

    /// Seeds, per-task counts and summed wall time of evaluation result files.
    static func evalFacts(_ evals: [(run: String, result: EvalResultFile)]) -> ReportFacts {
        var f = ReportFacts()
        guard !evals.isEmpty else { return f }
        var order: [String] = [], counts: [String: Set<Int>] = [:]
        for (_, r) in evals {
            if counts[r.task] == nil { order.append(r.task) }
            counts[r.task, default: []].insert(r.n)
        }
        let tasks = order.map { t in "\(t) \(counts[t]!.sorted().map(String.init).joined(separator: "/"))" }
        f.samples = (evals.count > 1 ? "\(evals.count) runs: " : "") + tasks.joined(separator: ", ")
        f.seeds = Array(Set(evals.compactMap(\.result.seed))).sorted()
        let secs = evals.compactMap(\.result.seconds)
        f.wallSeconds = secs.isEmpty ? nil : secs.reduce(0, +)
        return f
    }

    /// The `model_sha256` of the folder's sharing configs, when they all name one model.
    static func configSHA(folder: URL, files: [String]) -> String? {
        let shas = Set(
            files.filter { ext($0) == "json" }.compactMap { rel -> String? in
                guard let data = try? Data(contentsOf: folder.appendingPathComponent(rel)),
                    let o = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
                else { return nil }
                return o["model_sha256"] as? String
            })
        return shas.count == 1 ? shas.first : nil
    }

    /// Every file below `folder` except tmp/ and hidden ones, as sorted relative paths.
    static func listFiles(_ folder: URL) -> [String] {
        let base = folder.standardizedFileURL.path
        guard
            let walker = FileManager.default.enumerator(
                at: folder, includingPropertiesForKeys: [.isRegularFileKey],
                options: [.skipsHiddenFiles])
        else { return [] }
        var out: [String] = []
        for case let url as URL in walker {
            let rel = String(url.standardizedFileURL.path.dropFirst(base.count + 1))
            if rel == "tmp" || rel.hasPrefix("tmp/") { walker.skipDescendants(); continue }
            if (try? url.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile == true { out.append(rel) }
        }
        return out.sorted()
    }

    /// The date of the last commit that touched the folder (`git log`), when git and a repository are at hand.
    static func commitDate(of folder: URL, repoRoot: URL) -> String? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["git", "-C", repoRoot.path, "log", "-1", "--format=%cs", "--", folder.path]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return nil }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let s = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return p.terminationStatus == 0 && s.count == 10 ? s : nil
    }
}

func ext(_ path: String) -> String { (path as NSString).pathExtension.lowercased() }

/// Facts of a study file (studies/<name>.yaml): model, seed, sample counts, and a date from its comments.
enum StudyFacts {
    static func kind(_ yaml: String) -> String? {
        ((try? Yams.load(yaml: yaml)) as? [String: Any])?["kind"] as? String
    }

    static func facts(_ yaml: String) -> ReportFacts {
        var f = ReportFacts()
        guard let doc = (try? Yams.load(yaml: yaml)) as? [String: Any] else { return f }
        if let m = doc["model"] as? String { f.model = (m as NSString).lastPathComponent }
        if let s = doc["seed"] as? Int, s >= 0 { f.seeds = [UInt64(s)] }
        let entries = (doc["datasets"] as? [[String: Any]]) ?? (doc["tasks"] as? [[String: Any]]) ?? []
        let parts = entries.compactMap { e -> String? in
            guard let t = e["task"] as? String else { return nil }
            return (e["samples"] as? Int ?? e["limit"] as? Int).map { "\(t) \($0)" } ?? t
        }
        if !parts.isEmpty { f.samples = parts.joined(separator: ", ") }
        if let d = MarkdownFacts.first(#"\b(20\d\d-[01]\d-[0-3]\d)\b"#, yaml) { f.date = d; f.dateSource = "stated" }
        return f
    }
}

/// reports/<name>/meta.json: facts a report states in a machine-readable form (all keys optional):
/// {"model", "sha256", "date", "seed", "samples", "wall_seconds", "verdict", "commands": [...]}.
enum MetaFile {
    static func read(_ url: URL) -> ReportFacts? {
        guard let data = try? Data(contentsOf: url),
            let o = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        else { return nil }
        var f = ReportFacts()
        f.model = o["model"] as? String
        f.sha256 = o["sha256"] as? String
        if let d = o["date"] as? String { f.date = d; f.dateSource = "stated" }
        if let s = o["seed"] as? NSNumber { f.seeds = [s.uint64Value] }
        if let s = o["seeds"] as? [NSNumber] { f.seeds = s.map(\.uint64Value) }
        f.samples = o["samples"] as? String
        f.wallSeconds = (o["wall_seconds"] as? NSNumber)?.doubleValue
        f.verdict = o["verdict"] as? String
        f.commands = o["commands"] as? [String] ?? []
        return f
    }
}
