import Foundation
import Store
import Testing
import TestSupport

// The partition behind `--shard I/N` and the store's telling shard runs from whole runs.

@Suite struct ShardTests {
    @Test func parsesIOverNAndRejectsEverythingElse() throws {
        #expect(try Shard(parsing: "0/1") == Shard(index: 0, count: 1))
        #expect(try Shard(parsing: "3/4").description == "3/4")
        for bad in ["", "1", "4/4", "-1/4", "1/0", "a/2", "1/2/3", "1 /2", "0/-2", "/2", "1/"] {
            #expect(throws: ShardError.badShard(bad)) { try Shard(parsing: bad) }
        }
        #expect(ShardError.badShard("4/4").description.contains("0 ≤ I < N"))
    }

    /// Every unit of every total belongs to exactly one of the N shards, in increasing order within a shard,
    /// and the shards' sizes differ by at most one (round robin).
    @Test(arguments: 1...7) func theShardsCoverEveryUnitExactlyOnce(count: Int) throws {
        for total in 0...23 {
            let shards = try (0..<count).map { try Shard(index: $0, count: count) }
            let lists = shards.map { $0.units(of: total) }
            #expect(lists.flatMap { $0 }.sorted() == Array(0..<total))
            for (s, l) in zip(shards, lists) {
                #expect(l == l.sorted())
                #expect(l.allSatisfy(s.owns))
                #expect((0..<total).filter(s.owns) == l)
            }
            let sizes = lists.map(\.count)
            #expect(sizes.max()! - sizes.min()! <= 1)
            #expect(sizes.first == (total + count - 1) / count)
        }
        // Hand-checked: 7 units over 3 shards.
        #expect(try Shard(index: 0, count: 3).units(of: 7) == [0, 3, 6])
        #expect(try Shard(index: 2, count: 3).units(of: 7) == [2, 5])
    }

    @Test func lookupsKeepShardRunsAndWholeRunsApart() throws {
        let store = try LisaStore()
        let m = try store.registerModel(
            ModelRecord(
                sha256: "abc", fileName: "m.gguf", arch: "gemma3", nLayers: 2, nHeads: 2,
                nKVHeads: 1, headDim: 4))
        let s1 = try Shard(index: 1, count: 2)
        let whole = try store.createRun(study: "s", modelId: m.id!, parameters: "{}", seed: 1, toolVersion: "t")
        let part = try store.createRun(
            study: "s", modelId: m.id!, parameters: "{}", seed: 1, toolVersion: "t", shard: s1, units: 5)
        #expect(try store.latestRun(study: "s", modelId: m.id!, parameters: "{}")?.id == whole.id)
        #expect(try store.latestRun(study: "s", modelId: m.id!, parameters: "{}", shard: s1)?.id == part.id)
        #expect(
            try store.latestRun(study: "s", modelId: m.id!, parameters: "{}", shard: Shard(index: 0, count: 2)) == nil)
        try store.finishRun(id: part.id!, captureSeconds: 0, analysisSeconds: 0, tokens: 0)
        #expect(try store.latestFinishedRun(study: "s") == nil)  // a finished shard is not a finished run
        #expect(try store.shardRecords() == [ShardRecord(runId: part.id!, shard: s1, units: 5)])

        let e = EvalRunRecord(
            modelId: m.id!, task: "piqa", shots: 0, seed: 1, docLimit: 4, policies: "{}", sharing: nil,
            parameters: "p", n: 2, primaryMetric: "acc", toolVersion: "t")
        let wholeEval = try store.createEvalRun(e)
        let partEval = try store.createEvalRun(e, shard: s1, units: 4)
        #expect(try store.latestEvalRun(parameters: "p", modelId: m.id!)?.id == wholeEval.id)
        #expect(try store.latestEvalRun(parameters: "p", modelId: m.id!, shard: s1)?.id == partEval.id)
        #expect(try store.shardRecords().last == ShardRecord(evalRunId: partEval.id!, shard: s1, units: 4))
    }
}
