import Foundation
import GRDB

// Which runs of a database are shards (table `shards`, migration v3-shards). A shard's run keeps the
// unsharded run's parameters, so `lisa merge` compares them as they are; lookups that resume or report
// tell shard runs and whole runs apart through this table.

/// Marks a run (`runId`) or an evaluation run (`evalRunId`) as shard `shardIndex`/`shardCount` of a run of `units` work
/// units.
public struct ShardRecord: Codable, FetchableRecord, PersistableRecord, Equatable {
    public static let databaseTableName = "shards"
    public var runId: Int64?
    public var evalRunId: Int64?
    public var shardIndex: Int
    public var shardCount: Int
    /// Work units (samples, documents, configurations) of the whole, unsharded run.
    public var units: Int

    public init(runId: Int64? = nil, evalRunId: Int64? = nil, shard: Shard, units: Int) {
        self.runId = runId; self.evalRunId = evalRunId
        shardIndex = shard.index; shardCount = shard.count; self.units = units
    }

    public var shard: Shard { get throws { try Shard(index: shardIndex, count: shardCount) } }
}

/// SQL condition on a runs/evalRuns query: not a shard (nil), or exactly this shard. `column` is runId or evalRunId.
func shardFilter(_ column: String, _ shard: Shard?) -> (sql: String, arguments: StatementArguments) {
    guard let shard else { return ("id NOT IN (SELECT \(column) FROM shards WHERE \(column) IS NOT NULL)", []) }
    return ("id IN (SELECT \(column) FROM shards WHERE shardIndex = ? AND shardCount = ?)", [shard.index, shard.count])
}

extension QueryInterfaceRequest {
    /// Keeps unsharded runs (shard nil) or the runs of one shard; `column` names the runs' column in `shards`.
    func filter(shardOf column: String, _ shard: Shard?) -> Self {
        let f = shardFilter(column, shard)
        return filter(sql: f.sql, arguments: f.arguments)
    }
}

extension LisaStore {
    /// Every shard mark in the database, newest last.
    public func shardRecords() throws -> [ShardRecord] {
        try dbQueue.read { try ShardRecord.order(Column("rowid")).fetchAll($0) }
    }
}
