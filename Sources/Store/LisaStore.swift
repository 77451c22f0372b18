import Basics
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import GRDB

/// The study database: one SQLite file (FIGURES.md: everything recorded so any figure can be redrawn).
public final class LisaStore {
    public let path: String
    public let dbQueue: DatabaseQueue

    /// Opens (creating if needed) the database at `path` and applies pending migrations.
    public init(path: String) throws {
        self.path = path
        let dir = URL(fileURLWithPath: path).deletingLastPathComponent()
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
            throw StoreError.cannotOpen(path: path, reason: "it is a directory, not a database file")
        }
        try Self.checkBeforeOpening(path)
        var config = Configuration()
        // Two processes may write one file (a study and an eval): WAL lets readers and one writer proceed
        // together, and a writer waits up to 10 s for the other's transaction (each is one unit of work).
        config.busyMode = .timeout(10)
        config.journalMode = .wal
        Self.lastOpened.set(path)
        do {
            dbQueue = try Self.retryingWhileBusy { try DatabaseQueue(path: path, configuration: config) }
        } catch let e as DatabaseError where e.resultCode == .SQLITE_CORRUPT {
            throw StoreError.damaged(path: path, problems: [e.message ?? "\(e)"])
        } catch let e as DatabaseError {
            throw StoreError.cannotOpen(path: path, reason: e.message ?? "\(e)")
        }
        // Writing into a damaged file would bury the damage under new rows: check first (quick_check is
        // O(file size) but skips the index cross-checks of integrity_check).
        let problems: [String]
        do {
            problems = try Self.retryingWhileBusy {
                try dbQueue.read { try String.fetchAll($0, sql: "PRAGMA quick_check") }
            }
        } catch let e as DatabaseError {
            throw StoreError.damaged(path: path, problems: [e.message ?? "\(e)"])
        }
        guard problems == ["ok"] else { throw StoreError.damaged(path: path, problems: Array(problems.prefix(3))) }
        try Self.migrate(dbQueue, path: path)
    }

    /// Applies pending migrations. Two processes opening a new file at once both find it unmigrated; each migration
    /// runs in its own transaction, so the later one fails on a schema object the first has just created. It then
    /// reads the applied migrations again and continues from there (a few rounds at most: one per migration).
    static func migrate(_ dbQueue: DatabaseQueue, path: String) throws {
        for attempt in 0... {
            do { try retryingWhileBusy { try Schema.migrator.migrate(dbQueue) }; return } catch let e as DatabaseError {
                let raced =
                    (e.message ?? "").contains("already exists") || (e.message ?? "").contains("duplicate column")
                guard raced, attempt < 10 else {
                    throw StoreError.cannotOpen(path: path, reason: e.message ?? "\(e)")
                }
                usleep(20_000)
            }
        }
    }

    /// Runs `body` again while SQLite reports the file busy or locked past the busy timeout (a new file being set up
    /// by several processes at once: switching it to WAL takes an exclusive lock), for up to a minute in all.
    static func retryingWhileBusy<T>(_ body: () throws -> T) throws -> T {
        let deadline = Date().addingTimeInterval(60)
        while true {
            do { return try body() } catch let e as DatabaseError
                where (e.resultCode == .SQLITE_BUSY || e.resultCode == .SQLITE_LOCKED) && Date() < deadline
            {
                usleep(50_000)
            }
        }
    }

    /// GRDB's WAL set-up writes to the file as it opens it (it creates and drops a table so that the -wal file
    /// exists), before any query of ours: an existing file is checked through a read-only connection first, so
    /// damage anywhere (not only in the schema pages) is reported before anything is written.
    static func checkBeforeOpening(_ path: String) throws {
        guard let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber,
            size.intValue > 0
        else { return }
        var ro = Configuration()
        ro.readonly = true
        let problems: [String]
        do {
            // Another process may be switching the new file to WAL this moment (an exclusive lock): wait for it.
            problems = try retryingWhileBusy {
                let probe = try DatabaseQueue(path: path, configuration: ro)
                defer { try? probe.close() }
                return try probe.read { try String.fetchAll($0, sql: "PRAGMA quick_check") }
            }
        } catch let e as DatabaseError where e.resultCode == .SQLITE_CORRUPT {
            throw StoreError.damaged(path: path, problems: [e.message ?? "\(e)"])
        } catch let e as DatabaseError {
            throw StoreError.cannotOpen(path: path, reason: e.message ?? "\(e)")
        }
        guard problems == ["ok"] else { throw StoreError.damaged(path: path, problems: Array(problems.prefix(3))) }
    }

    /// The database this process opened last, named in SQLite errors that reach the user without one.
    static let lastOpened = LastPath()

    final class LastPath: @unchecked Sendable {
        private let lock = NSLock()
        private var path: String?
        func set(_ p: String) { lock.lock(); path = p; lock.unlock() }
        func get() -> String? { lock.lock(); defer { lock.unlock() }; return path }
    }

    /// A GRDB error as a sentence naming the database, or nil when `error` is not one.
    public static func sentence(for error: Error) -> String? {
        guard let e = error as? DatabaseError else { return nil }
        let file = lastOpened.get() ?? "(unknown)"
        return "The study database \(file): SQLite error \(e.resultCode.rawValue): \(e.message ?? "\(e)")."
    }

    /// An in-memory database (tests).
    public init() throws {
        path = ":memory:"
        dbQueue = try DatabaseQueue()
        try Schema.migrator.migrate(dbQueue)
    }

    public var appliedMigrations: [String] { (try? dbQueue.read { try Schema.migrator.appliedMigrations($0) }) ?? [] }

    // MARK: models

    /// sha256 of the file, cached by (path, size, mtime) so a 250 MB GGUF is hashed once.
    public func sha256(ofModelAt path: String) throws -> String {
        let abs = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        guard let attrs = try? FileManager.default.attributesOfItem(atPath: abs) else {
            throw StoreError.unreadableModel(path: path)
        }
        let size = (attrs[.size] as? NSNumber)?.int64Value ?? 0
        let mtime = (attrs[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        if let hit = try dbQueue.read({ db in
            try ModelFileRecord.filter(Column("path") == abs && Column("size") == size && Column("mtime") == mtime)
                .fetchOne(db)
        }) {
            return hit.sha256
        }
        let digest = try SHA256.hex(ofFile: abs)
        try dbQueue.write { db in try ModelFileRecord(path: abs, size: size, mtime: mtime, sha256: digest).save(db) }
        return digest
    }

    /// The model row for this digest, inserted on first use.
    public func registerModel(_ m: ModelRecord) throws -> ModelRecord {
        try dbQueue.write { db in
            if let old = try ModelRecord.filter(Column("sha256") == m.sha256).fetchOne(db) { return old }
            var new = m
            try new.insert(db)
            return new
        }
    }

    public func model(id: Int64) throws -> ModelRecord? { try dbQueue.read { try ModelRecord.fetchOne($0, key: id) } }

    // MARK: runs

    /// The newest run of `study` on `modelId` with exactly these parameters: an unsharded one, or with `shard`
    /// the newest run of that shard.
    public func latestRun(study: String, modelId: Int64, parameters: String, shard: Shard? = nil) throws -> RunRecord? {
        try dbQueue.read { db in
            try RunRecord.filter(
                Column("study") == study && Column("modelId") == modelId && Column("parameters") == parameters
            )
            .filter(shardOf: "runId", shard).order(Column("id").desc).fetchOne(db)
        }
    }

    /// The newest finished unsharded run of `study` (what `lisa report` redraws; a shard holds no analyses).
    public func latestFinishedRun(study: String) throws -> RunRecord? {
        try dbQueue.read { db in
            try RunRecord.filter(Column("study") == study && Column("status") == RunStatus.finished.rawValue)
                .filter(shardOf: "runId", nil).order(Column("id").desc).fetchOne(db)
        }
    }

    public func run(id: Int64) throws -> RunRecord {
        guard let r = try dbQueue.read({ try RunRecord.fetchOne($0, key: id) }) else {
            throw StoreError.unknownRun(id: id, path: path)
        }
        return r
    }

    public func allRuns() throws -> [RunRecord] { try dbQueue.read { try RunRecord.order(Column("id")).fetchAll($0) } }

    /// A new run; with `shard`, marked in the same transaction as that shard of a run of `units` work units.
    public func createRun(
        study: String, modelId: Int64, parameters: String, seed: UInt64, toolVersion: String,
        shard: Shard? = nil, units: Int = 0
    ) throws -> RunRecord {
        var r = RunRecord(
            id: nil, study: study, modelId: modelId, parameters: parameters, seed: Int64(bitPattern: seed),
            status: .running, toolVersion: toolVersion, startedAt: Date(), finishedAt: nil,
            captureSeconds: 0, analysisSeconds: 0, tokens: 0)
        try dbQueue.write { db in
            try r.insert(db)
            if let shard { try ShardRecord(runId: r.id!, shard: shard, units: units).insert(db) }
        }
        return r
    }

    public func finishRun(id: Int64, captureSeconds: Double, analysisSeconds: Double, tokens: Int) throws {
        try dbQueue.write { db in
            guard var r = try RunRecord.fetchOne(db, key: id) else { throw StoreError.unknownRun(id: id, path: path) }
            r.status = .finished; r.finishedAt = Date()
            r.captureSeconds = captureSeconds; r.analysisSeconds = analysisSeconds; r.tokens = tokens
            try r.update(db)
        }
    }

    // MARK: samples and rows

    /// Captured samples of a run: (task, recordIndex) → (seconds, tokens), for resuming.
    public func capturedSamples(runId: Int64) throws -> [String: (seconds: Double, tokens: Int)] {
        try dbQueue.read { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT rs.task, s.recordIndex, rs.seconds, s.nTokens FROM runSamples rs JOIN samples s ON s.id = rs.sampleId
                    WHERE rs.runId = ?
                    """, arguments: [runId])
            var out: [String: (Double, Int)] = [:]
            for r in rows { out["\(r[0] as String)/\(r[1] as Int)"] = (r[2], r[3]) }
            return out
        }
    }

    /// Stores one captured sample in a single transaction: dataset, sample, its rows [L][H][T] and
    /// any per-sample results. Either all of it is stored or none (a kill leaves no half sample).
    public func storeSample(
        runId: Int64, modelId: Int64, task: String, file: String, recordIndex: Int, text: String,
        tokenIds: [Int], ordinal: Int, seconds: Double, rows: [[[Float]]],
        results: [(kind: String, value: String)] = []
    ) throws {
        try dbQueue.write { db in
            try Self.insertSample(
                db, runId: runId, modelId: modelId, task: task, file: file, recordIndex: recordIndex, text: text,
                tokenIds: tokenIds, ordinal: ordinal, seconds: seconds, rows: rows, results: results)
        }
    }

    /// `storeSample`'s rows, written inside the caller's transaction (`lisa merge` writes many samples in one).
    static func insertSample(
        _ db: Database, runId: Int64, modelId: Int64, task: String, file: String, recordIndex: Int, text: String,
        tokenIds: [Int], ordinal: Int, seconds: Double, rows: [[[Float]]],
        results: [(kind: String, value: String)]
    ) throws {
        var ds = try DatasetRecord.filter(Column("task") == task && Column("file") == file).fetchOne(db)
        if ds == nil { var d = DatasetRecord(id: nil, task: task, file: file); try d.insert(db); ds = d }
        var sample = try SampleRecord.filter(
            Column("datasetId") == ds!.id! && Column("modelId") == modelId
                && Column("recordIndex") == recordIndex
        ).fetchOne(db)
        if sample == nil {
            let ids = CanonicalJSON.string(tokenIds)
            var s = SampleRecord(
                id: nil, datasetId: ds!.id!, modelId: modelId, recordIndex: recordIndex, text: text,
                tokenIds: ids, nTokens: tokenIds.count)
            try s.insert(db); sample = s
        }
        let sid = sample!.id!
        try RunSampleRecord(runId: runId, sampleId: sid, task: task, ordinal: ordinal, seconds: seconds).insert(db)
        for (l, heads) in rows.enumerated() {
            for (h, row) in heads.enumerated() {
                try AttentionRowRecord(runId: runId, sampleId: sid, layer: l, head: h, probs: FloatBlob.encode(row))
                    .insert(db)
            }
        }
        for r in results {
            try ResultRecord(runId: runId, task: task, kind: r.kind, sampleId: sid, value: r.value).save(db)
        }
    }

    /// The captured samples of one task in a run, in capture order, with rows [L][H][T].
    public func capturedRows(runId: Int64, task: String) throws -> [(sample: SampleRecord, rows: [[[Float]]])] {
        try dbQueue.read { db in
            let samples = try SampleRecord.fetchAll(
                db,
                sql: """
                    SELECT s.* FROM samples s JOIN runSamples rs ON rs.sampleId = s.id
                    WHERE rs.runId = ? AND rs.task = ? ORDER BY rs.ordinal
                    """, arguments: [runId, task])
            return try samples.map { s in
                let recs = try AttentionRowRecord.filter(Column("runId") == runId && Column("sampleId") == s.id!)
                    .order(Column("layer"), Column("head")).fetchAll(db)
                var rows: [[[Float]]] = []
                for r in recs {
                    if r.layer == rows.count { rows.append([]) }
                    rows[r.layer].append(try FloatBlob.decode(r.probs))
                }
                return (s, rows)
            }
        }
    }

    // MARK: results and plots

    public func putResult(runId: Int64, task: String, kind: String, sampleId: Int64 = 0, value: String) throws {
        try dbQueue.write {
            try ResultRecord(runId: runId, task: task, kind: kind, sampleId: sampleId, value: value).save($0)
        }
    }

    public func results(runId: Int64) throws -> [ResultRecord] {
        try dbQueue.read {
            try ResultRecord.filter(Column("runId") == runId).order(Column("task"), Column("kind"), Column("sampleId"))
                .fetchAll($0)
        }
    }

    public func result(runId: Int64, task: String, kind: String, sampleId: Int64 = 0) throws -> String? {
        try dbQueue.read { db in
            try ResultRecord.fetchOne(db, key: ["runId": runId, "task": task, "kind": kind, "sampleId": sampleId])?
                .value
        }
    }

    public func addPlot(runId: Int64, kind: String, path: String) throws {
        try dbQueue.write { try PlotRecord(runId: runId, kind: kind, path: path, createdAt: Date()).save($0) }
    }

    public func plots(runId: Int64) throws -> [PlotRecord] {
        try dbQueue.read { try PlotRecord.filter(Column("runId") == runId).order(Column("path")).fetchAll($0) }
    }

    // MARK: checks

    /// `PRAGMA integrity_check` ("ok" when sound).
    public func integrityCheck() throws -> String {
        try dbQueue.read { try String.fetchOne($0, sql: "PRAGMA integrity_check") ?? "" }
    }

    /// `PRAGMA journal_mode` ("wal" for a file database).
    public func journalMode() throws -> String {
        try dbQueue.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") ?? "" }
    }

    /// Row count of a table.
    public func count(_ table: String) throws -> Int {
        try dbQueue.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM \(table)") ?? 0 }
    }
}
