import Foundation
import GRDB

// Schema changes only through named migrations. Unique keys make `--resume` idempotent: a sample,
// an attention row or a result can exist once per run.

enum Schema {
    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1-models-datasets-samples") { db in
            try db.create(table: "models") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("sha256", .text).notNull().unique()
                t.column("fileName", .text).notNull()
                t.column("arch", .text).notNull()
                t.column("nLayers", .integer).notNull()
                t.column("nHeads", .integer).notNull()
                t.column("nKVHeads", .integer).notNull()
                t.column("headDim", .integer).notNull()
            }
            try db.create(table: "modelFiles") { t in
                t.column("path", .text).notNull()
                t.column("size", .integer).notNull()
                t.column("mtime", .double).notNull()
                t.column("sha256", .text).notNull()
                t.primaryKey(["path", "size", "mtime"])
            }
            try db.create(table: "datasets") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("task", .text).notNull()
                t.column("file", .text).notNull()
                t.uniqueKey(["task", "file"])
            }
            try db.create(table: "samples") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("datasetId", .integer).notNull().references("datasets")
                t.column("modelId", .integer).notNull().references("models")
                t.column("recordIndex", .integer).notNull()
                t.column("text", .text).notNull()
                t.column("tokenIds", .text).notNull()
                t.column("nTokens", .integer).notNull()
                t.uniqueKey(["datasetId", "modelId", "recordIndex"])
            }
        }
        m.registerMigration("v1-runs-rows-results-plots") { db in
            try db.create(table: "runs") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("study", .text).notNull().indexed()
                t.column("modelId", .integer).notNull().references("models")
                t.column("parameters", .text).notNull()
                t.column("seed", .integer).notNull()
                t.column("status", .text).notNull()
                t.column("toolVersion", .text).notNull()
                t.column("startedAt", .datetime).notNull()
                t.column("finishedAt", .datetime)
                t.column("captureSeconds", .double).notNull()
                t.column("analysisSeconds", .double).notNull()
                t.column("tokens", .integer).notNull()
            }
            try db.create(table: "runSamples") { t in
                t.column("runId", .integer).notNull().references("runs", onDelete: .cascade)
                t.column("sampleId", .integer).notNull().references("samples")
                t.column("task", .text).notNull()
                t.column("ordinal", .integer).notNull()
                t.column("seconds", .double).notNull()
                t.primaryKey(["runId", "sampleId"])
            }
            try db.create(table: "attentionRows") { t in
                t.column("runId", .integer).notNull().references("runs", onDelete: .cascade)
                t.column("sampleId", .integer).notNull().references("samples")
                t.column("layer", .integer).notNull()
                t.column("head", .integer).notNull()
                t.column("probs", .blob).notNull()
                t.primaryKey(["runId", "sampleId", "layer", "head"])
            }
            try db.create(table: "results") { t in
                t.column("runId", .integer).notNull().references("runs", onDelete: .cascade)
                t.column("task", .text).notNull()
                t.column("kind", .text).notNull()
                t.column("sampleId", .integer).notNull()
                t.column("value", .text).notNull()
                t.primaryKey(["runId", "task", "kind", "sampleId"])
            }
            try db.create(table: "plots") { t in
                t.column("runId", .integer).notNull().references("runs", onDelete: .cascade)
                t.column("kind", .text).notNull()
                t.column("path", .text).notNull()
                t.column("createdAt", .datetime).notNull()
                t.primaryKey(["runId", "path"])
            }
        }
        // `lisa eval --db` and the sensitivity studies: one row per evaluation run (a study's unit when
        // studyRunId is set) and one per scored document, so a stopped run resumes document by document.
        m.registerMigration("v2-eval-runs-documents") { db in
            try db.create(table: "evalRuns") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("modelId", .integer).notNull().references("models")
                t.column("studyRunId", .integer).references("runs", onDelete: .cascade)
                t.column("unit", .text)
                t.column("task", .text).notNull()
                t.column("shots", .integer).notNull()
                t.column("seed", .integer).notNull()
                t.column("docLimit", .integer)
                t.column("policies", .text).notNull()
                t.column("sharing", .text)
                t.column("parameters", .text).notNull().indexed()
                t.column("status", .text).notNull()
                t.column("n", .integer).notNull()
                t.column("primaryMetric", .text).notNull()
                t.column("metrics", .text).notNull()
                t.column("stderr", .text).notNull()
                t.column("seconds", .double).notNull()
                t.column("tokens", .integer).notNull()
                t.column("toolVersion", .text).notNull()
                t.column("startedAt", .datetime).notNull()
                t.column("finishedAt", .datetime)
            }
            try db.create(table: "evalDocuments") { t in
                t.column("evalRunId", .integer).notNull().references("evalRuns", onDelete: .cascade)
                t.column("ordinal", .integer).notNull()
                t.column("docIndex", .integer).notNull()
                t.column("logLikelihoods", .text)
                t.column("gold", .integer)
                t.column("prediction", .text)
                t.column("scores", .text).notNull()
                t.column("seconds", .double).notNull()
                t.column("tokens", .integer).notNull()
                t.primaryKey(["evalRunId", "docIndex"])
            }
        }
        // `--shard I/N`: which part of the unsharded run a run (study) or an evaluation run (`lisa eval`) holds,
        // and how many work units the whole run has, so `lisa merge` can check that none is missing or doubled.
        m.registerMigration("v3-shards") { db in
            try db.create(table: "shards") { t in
                // No unique index: one row per run is written with the run, in its transaction (and an index as the
                // file's last page would make DamagedStoreTests damage an index, which GRDB's WAL set-up writes over).
                t.column("runId", .integer).references("runs", onDelete: .cascade)
                t.column("evalRunId", .integer).references("evalRuns", onDelete: .cascade)
                t.column("shardIndex", .integer).notNull()
                t.column("shardCount", .integer).notNull()
                t.column("units", .integer).notNull()
                t.check(sql: "(runId IS NULL) != (evalRunId IS NULL)")
            }
        }
        // Typed identities (issue 16): a policy is stored as its token ("ds"), no longer as Swift's text of the enum
        // case ("directShare(headMap: nil)"), in the run's policies and in the parameters a resume looks up; and an
        // evaluation with a trained checkpoint names it in its own column (its parameters carried it already).
        m.registerMigration("v4-policy-tokens-checkpoint") { db in
            try db.alter(table: "evalRuns") { t in t.add(column: "checkpointSHA256", .text) }
            for row in try Row.fetchAll(db, sql: "SELECT id, policies, parameters FROM evalRuns") {
                let id: Int64 = row["id"], policies: String = row["policies"], parameters: String = row["parameters"]
                let sha = PolicyTokens.checkpointSHA256(inParameters: parameters)
                try db.execute(
                    sql: "UPDATE evalRuns SET policies = ?, parameters = ?, checkpointSHA256 = ? WHERE id = ?",
                    arguments: [PolicyTokens.rewrite(policies), PolicyTokens.rewrite(parameters), sha, id])
            }
        }
        // A run whose documents were copied from an identical finished run (`copyFinishedEvalRun`) names it.
        m.registerMigration("v5-eval-run-copied-from") { db in
            try db.alter(table: "evalRuns") { t in t.add(column: "copiedFrom", .integer) }
        }
        return m
    }
}

/// Migration v4's rewrite of stored policy texts to tokens, inside canonical JSON: only the quoted values change,
/// so the keys keep their sorted order and the text stays what the encoder writes for the new values.
enum PolicyTokens {
    /// `"directShare(headMap: nil)"` → `"ds"`; `"directShare(headMap: Optional([1, 0]))"` → `"ds:1,0"`.
    static func rewrite(_ json: String) -> String {
        var out = json.replacingOccurrences(of: "\"directShare(headMap: nil)\"", with: "\"ds\"")
        let open = "\"directShare(headMap: Optional([", close = "]))\""
        while let a = out.range(of: open), let b = out.range(of: close, range: a.upperBound..<out.endIndex) {
            let heads = out[a.upperBound..<b.lowerBound].replacingOccurrences(of: " ", with: "")
            out.replaceSubrange(a.lowerBound..<b.upperBound, with: "\"ds:\(heads)\"")
        }
        return out
    }

    /// The `checkpointSHA256` a run's parameters carry, if any.
    static func checkpointSHA256(inParameters json: String) -> String? {
        struct P: Decodable { let checkpointSHA256: String? }
        return (try? JSONDecoder().decode(P.self, from: Data(json.utf8)))?.checkpointSHA256
    }
}
