import Foundation
import GRDB
@testable import Store
import Testing
import TestSupport

// Migration v4 (issue 16, item 2): evaluation runs stored before policies had tokens keep their identity. A
// database migrated up to v3 gets rows written the old way (Swift's text of the enum case), then opening it
// applies v4: the same rows read as tokens, parameters and policies alike, and the checkpoint gets its column.
@Suite struct PolicyTokenMigrationTests {
    @Test func oldPolicyTextsBecomeTokensAndTheCheckpointItsColumn() throws {
        let dir = try TestPaths.tempDir("policy-tokens"); defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("old.sqlite").path
        let queue = try DatabaseQueue(path: path)
        try Schema.migrator.migrate(queue, upTo: "v3-shards")
        let oldPolicies =
            #"{"10":"directShare(headMap: nil)","11":"directShare(headMap: Optional([1, 0, 3, 2]))","5":"uniform"}"#
        let oldParameters =
            #"{"checkpointSHA256":"abc123","dataFile":"piqa\/valid.jsonl","limit":3,"nf":false,"#
            + #""policies":{"10":"directShare(headMap: nil)","11":"directShare(headMap: Optional([1, 0, 3, 2]))","5":"uniform"},"#
            + #""seed":1234,"shots":0,"task":"piqa"}"#
        try queue.write { db in
            try db.execute(
                sql:
                    "INSERT INTO models (sha256, fileName, arch, nLayers, nHeads, nKVHeads, headDim) VALUES ('m', "
                    + "'m.gguf', 'gemma3', 18, 4, 1, 256)"
            )
            try db.execute(
                sql: """
                    INSERT INTO evalRuns (modelId, task, shots, seed, policies, parameters, status, n, primaryMetric, metrics, stderr,
                                          seconds, tokens, toolVersion, startedAt)
                    VALUES (1, 'piqa', 0, 1234, ?, ?, 'finished', 3, 'acc', '{}', '{}', 0, 0, 'old', '2026-11-30 00:00:00')
                    """, arguments: [oldPolicies, oldParameters])
        }
        try queue.close()
        let store = try LisaStore(path: path)
        let run = try #require(try store.evalRuns().first)
        #expect(run.policies == #"{"10":"ds","11":"ds:1,0,3,2","5":"uniform"}"#)
        #expect(
            run.parameters == #"{"checkpointSHA256":"abc123","dataFile":"piqa\/valid.jsonl","limit":3,"nf":false,"#
                + #""policies":{"10":"ds","11":"ds:1,0,3,2","5":"uniform"},"seed":1234,"shots":0,"task":"piqa"}"#)
        #expect(run.checkpointSHA256 == "abc123")
    }

    @Test func rewriteLeavesTokensAndOtherTextAlone() {
        let json = #"{"policies":{"2":"ds","3":"standard"},"task":"directShare"}"#
        #expect(PolicyTokens.rewrite(json) == json)
        #expect(PolicyTokens.checkpointSHA256(inParameters: json) == nil)
        #expect(PolicyTokens.checkpointSHA256(inParameters: "not json") == nil)
    }
}
