import Basics
import Foundation
import Store

/// A study run's claim verdicts as the report renders them, kept as `verdicts.json` beside report.md. The report
/// folder is committed but the database that held the run often is not (a session's scratch database, a cluster
/// node's shard): `lisa findings` reads this file for a study with no finished run in the database, so FINDINGS.md
/// can be rebuilt from committed files alone and one model's column survives a later run of the other's.
public struct StudyVerdicts: Codable, Equatable, Sendable {
    /// One claim of the study file: its finding tag, its position in the file's `claims:`, the combined verdict and
    /// the measurement text (what FINDINGS.md prints after the verdict).
    public struct Claim: Codable, Equatable, Sendable {
        public var index: Int
        public var finding: String?
        public var agrees: Agreement
        public var text: String

        public init(index: Int, finding: String?, agrees: Agreement, text: String) {
            self.index = index; self.finding = finding; self.agrees = agrees; self.text = text
        }
    }

    public static let fileName = "verdicts.json"

    public var study: String
    /// The model file's name without `.gguf`.
    public var model: String
    /// The run's parameters (the study file's `parametersJSON()` when it ran), to tell a stale run.
    public var parameters: String
    /// Where the verdicts come from, e.g. "study run 12 (lisa 0.9 …), report of 2026-12-02T06:40:00Z".
    public var source: String
    public var claims: [Claim]

    public init(study: String, model: String, parameters: String, source: String, claims: [Claim]) {
        self.study = study; self.model = model; self.parameters = parameters; self.source = source
        self.claims = claims
    }

    /// The verdicts of `claims` (a study file's, in order) as `verdicts` gives them, one per claim.
    public init(
        study: String, model: String, parameters: String, source: String, claims: [ClaimSpec],
        verdicts: [ClaimVerdict]
    ) {
        self.init(
            study: study, model: model, parameters: parameters, source: source,
            claims: zip(claims.indices, verdicts).map { i, v in
                Claim(index: i, finding: claims[i].finding, agrees: v.agrees, text: Self.text(v))
            })
    }

    /// "measurement; measurement (why; why)": a claim's outcomes as one line.
    public static func text(_ v: ClaimVerdict) -> String {
        let m = v.outcomes.map(\.measurement).joined(separator: "; ")
        let why = v.outcomes.map(\.why).filter { !$0.isEmpty }.joined(separator: "; ")
        return m + (why.isEmpty ? "" : " (\(why))")
    }

    public func write(dir: URL) throws {
        try writeAtomically(CanonicalJSON.data(self, pretty: true), to: dir.appendingPathComponent(Self.fileName).path)
    }

    /// The file in `dir`, nil when there is none; a file that does not decode is an error naming it.
    public static func load(dir: URL) throws -> StudyVerdicts? {
        let url = dir.appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        do {
            return try CanonicalJSON.decoder().decode(StudyVerdicts.self, from: Data(contentsOf: url))
        } catch {
            throw StudyError.malformed(file: url.path, reason: "not a study verdicts file (\(error))")
        }
    }
}

/// "study run 12 (lisa 0.9.0), finished 2026-12-02T06:40:00Z": fixed by the run, so rewriting a report does not
/// change its verdicts file unless the verdicts do.
func verdictSource(_ run: RunRecord) -> String {
    let when = run.finishedAt.map { " finished " + ISO8601DateFormatter().string(from: $0) } ?? " (not finished)"
    return "study run \(run.id.map(String.init) ?? "?") (\(run.toolVersion)),\(when)"
}
