import Foundation

/// One part of a run split over several processes (`--shard I/N`, I 0-based like SLURM_ARRAY_TASK_ID).
/// The work units of the unsharded run — samples, documents or configurations — are numbered in their run
/// order 0, 1, 2, …; shard I owns every unit whose number is I mod N. Round robin rather than blocks: the
/// units of one task or one length sit together in run order, and dealing them out keeps the shards' costs
/// alike. The N shards together hold every unit exactly once.
public struct Shard: Equatable, Hashable, Sendable, CustomStringConvertible {
    public let index: Int
    public let count: Int

    public init(index: Int, count: Int) throws {
        guard count >= 1, (0..<count).contains(index) else { throw ShardError.badShard("\(index)/\(count)") }
        self.index = index; self.count = count
    }

    /// "I/N" with 0 ≤ I < N.
    public init(parsing text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]) else { throw ShardError.badShard(text) }
        try self.init(index: i, count: n)
    }

    /// Whether unit number `unit` (0-based, in the unsharded run's order) belongs to this shard.
    public func owns(_ unit: Int) -> Bool { unit % count == index }

    /// The units this shard owns out of `total`.
    public func units(of total: Int) -> [Int] { Array(stride(from: index, to: total, by: count)) }

    public var description: String { "\(index)/\(count)" }
}

/// Shard and merge failures, each a sentence naming the option or the database.
public enum ShardError: Error, CustomStringConvertible, Equatable {
    case badShard(String)
    case missingDatabase(String)
    case intoIsShard(String)
    case noShard(db: String)
    case noDatabases
    case mismatch(db: String, what: String, expected: String, found: String, first: String)
    case duplicated(shard: String, dbs: [String])
    case missing(shards: [String], count: Int)
    case unfinished(db: String, shard: String)
    case incomplete(db: String, shard: String, expected: Int, found: Int)
    case alreadyMerged(into: String, runId: Int64, what: String)
    case modelFileNotFound(sha256: String, db: String)

    public var description: String {
        switch self {
        case .badShard(let s):
            return "--shard \"\(s)\" is not I/N with 0 ≤ I < N (e.g. 0/4 … 3/4; I is 0-based like SLURM_ARRAY_TASK_ID)."
        case .missingDatabase(let db): return "The shard database \(db) does not exist."
        case .intoIsShard(let db): return "--into \(db) is one of the shard databases; merge into a new file."
        case .noShard(let db):
            return "The database \(db) holds no shard run (write one with `--shard I/N --db \(db)`)."
        case .noDatabases:
            return "lisa merge needs at least one shard database (lisa merge SHARD.sqlite… --into ALL.sqlite)."
        case .mismatch(let db, let what, let e, let f, let first):
            return
                "The shard in \(db) has \(what) \(f), but the shard in \(first) has \(e): they are not parts of the "
                + "same run."
        case .duplicated(let s, let dbs):
            return "Shard \(s) is given twice (\(dbs.joined(separator: " and "))); give each shard's database once."
        case .missing(let s, let n):
            return "Shard\(s.count > 1 ? "s" : "") \(s.joined(separator: ", ")) \(s.count > 1 ? "are" : "is") missing; "
                + "run \(s.count > 1 ? "them" : "it") (`--shard \(s[0])`\(s.count > 1 ? ", …" : "")) and give all "
                + "\(n) shards' databases."
        case .unfinished(let db, let s):
            return "Shard \(s) in \(db) has not finished; continue it with the same command and --resume, then merge."
        case .incomplete(let db, let s, let e, let f):
            return
                "Shard \(s) in \(db) holds \(f) work units where it should hold \(e); the database is damaged or was "
                + "edited."
        case .alreadyMerged(let into, let id, let what):
            return
                "The database \(into) already holds run \(id) (\(what)) with these parameters; merge into another file."
        case .modelFileNotFound(let sha, let db):
            return
                "The model with sha256 \(sha.prefix(16))… that the shards in \(db) ran is not at the path they "
                + "recorded; "
                + "give it with --model PATH."
        }
    }
}
