import Foundation
import GRDB

// Scored documents of another database's runs that equal a new run but for the document limit (`lisa eval
// --reuse-from`). A document's numbers depend on the document alone — the run order is a seeded prefix order and
// each document draws its own exemplars — so a --limit 500 run of the original model is the first 500 documents
// of any larger run with the same parameters: they need not be scored twice (issue 18's budget curve evaluates the
// original on 500 documents that Table 2 already scored on the full set).

extension LisaStore {
    /// The parameters JSON without its `limit` key, canonical (sorted keys): equal for runs that differ only in how
    /// many documents they take. Nil when `parameters` is not a JSON object.
    static func parametersIgnoringLimit(_ parameters: String) -> String? {
        guard var object = (try? JSONSerialization.jsonObject(with: Data(parameters.utf8))) as? [String: Any] else {
            return nil
        }
        object["limit"] = nil
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else {
            return nil
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// Every document the database at `path` holds for runs of the model `modelSHA256` whose parameters equal
    /// `parameters` but for the limit (finished or not, any shard), one per document index (the newest run's).
    /// The file is opened read-only: it is not migrated, and nothing in it changes.
    public static func documentsOfEqualRuns(
        inDatabase path: String, modelSHA256: String, parameters: String
    ) throws -> [EvalDocumentRecord] {
        guard FileManager.default.fileExists(atPath: path) else {
            throw StoreError.cannotOpen(path: path, reason: "no such file")
        }
        try checkBeforeOpening(path)
        guard let wanted = parametersIgnoringLimit(parameters) else { return [] }
        var config = Configuration()
        config.readonly = true
        let source: DatabaseQueue
        do { source = try DatabaseQueue(path: path, configuration: config) } catch let e as DatabaseError {
            throw StoreError.cannotOpen(path: path, reason: e.message ?? "\(e)")
        }
        defer { try? source.close() }
        do {
            return try source.read { db in
                guard try db.tableExists(EvalRunRecord.databaseTableName),
                    try db.tableExists(EvalDocumentRecord.databaseTableName),
                    let model = try ModelRecord.filter(Column("sha256") == modelSHA256).fetchOne(db)
                else { return [] }
                let runs = try Row.fetchAll(
                    db, sql: "SELECT id, parameters FROM evalRuns WHERE modelId = ? ORDER BY id DESC",
                    arguments: [model.id]
                ).filter { parametersIgnoringLimit($0["parameters"]) == wanted }.map { $0["id"] as Int64 }
                var byIndex: [Int: EvalDocumentRecord] = [:]
                for id in runs {  // newest first: an index already taken keeps the newer run's row
                    for d in try EvalDocumentRecord.filter(Column("evalRunId") == id).fetchAll(db)
                    where byIndex[d.docIndex] == nil {
                        byIndex[d.docIndex] = d
                    }
                }
                return byIndex.values.sorted { $0.docIndex < $1.docIndex }
            }
        } catch let e as DatabaseError {
            throw StoreError.cannotOpen(path: path, reason: e.message ?? "\(e)")
        }
    }

    /// Stores `documents` in one transaction (documents copied from another run: all or none).
    public func storeEvalDocuments(_ documents: [EvalDocumentRecord]) throws {
        guard !documents.isEmpty else { return }
        try dbQueue.write { db in for d in documents { try d.insert(db) } }
    }
}
