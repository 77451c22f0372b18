import Foundation
import Store
import Testing
import TestSupport

@Suite struct StoreTests {
    func model(_ store: LisaStore) throws -> ModelRecord {
        try store.registerModel(
            ModelRecord(
                sha256: "abc", fileName: "m.gguf", arch: "gemma3", nLayers: 2, nHeads: 2, nKVHeads: 1, headDim: 4))
    }

    @Test func migrationsAreNamedAndApplied() throws {
        let store = try LisaStore()
        #expect(
            store.appliedMigrations == [
                "v1-models-datasets-samples", "v1-runs-rows-results-plots", "v2-eval-runs-documents",
                "v3-shards", "v4-policy-tokens-checkpoint", "v5-eval-run-copied-from",
            ])
        #expect(try store.integrityCheck() == "ok")
    }

    @Test func floatBlobRoundTrips() throws {
        let v: [Float] = [0, 1.5, -2.25, .leastNonzeroMagnitude, 0.1]
        #expect(try FloatBlob.decode(FloatBlob.encode(v)) == v)
        #expect(throws: StoreError.badBlob(bytes: 3)) { try FloatBlob.decode(Data([1, 2, 3])) }
    }

    @Test func sha256IsCorrectAndCached() throws {
        let dir = try TestPaths.tempDir("store")
        let f = dir.appendingPathComponent("abc.bin")
        try Data("abc".utf8).write(to: f)
        let store = try LisaStore(path: dir.appendingPathComponent("t.sqlite").path)
        #expect(
            try store.sha256(ofModelAt: f.path) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(
            try store.sha256(ofModelAt: f.path) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(try store.count("modelFiles") == 1)
        let big = dir.appendingPathComponent("big.bin")
        try Data(repeating: 0x61, count: 1_000_000).write(to: big)
        #expect(
            try store.sha256(ofModelAt: big.path) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func oneSamplePerTransactionAndNoDuplicates() throws {
        let store = try LisaStore()
        let m = try model(store)
        let run = try store.createRun(study: "s", modelId: m.id!, parameters: "{}", seed: 1, toolVersion: "t")
        let rows: [[[Float]]] = [[[0.5, 0.5], [1, 0]], [[0.25, 0.75], [0, 1]]]
        try store.storeSample(
            runId: run.id!, modelId: m.id!, task: "piqa", file: "f", recordIndex: 3, text: "x",
            tokenIds: [2, 9], ordinal: 0, seconds: 0.1, rows: rows)
        #expect(throws: (any Error).self) {
            try store.storeSample(
                runId: run.id!, modelId: m.id!, task: "piqa", file: "f", recordIndex: 3, text: "x",
                tokenIds: [2, 9], ordinal: 0, seconds: 0.1, rows: rows)
        }
        #expect(try store.count("attentionRows") == 4)
        #expect(try store.count("runSamples") == 1)
        #expect(try store.count("samples") == 1)
        let back = try store.capturedRows(runId: run.id!, task: "piqa")
        #expect(back.count == 1 && back[0].rows == rows && back[0].sample.ids == [2, 9])
        #expect(try store.capturedSamples(runId: run.id!).keys.sorted() == ["piqa/3"])
    }

    @Test func finishedRunsAreFoundAndExported() throws {
        let store = try LisaStore()
        let m = try model(store)
        let run = try store.createRun(study: "s", modelId: m.id!, parameters: "{\"a\":1}", seed: 1, toolVersion: "t")
        #expect(try store.latestFinishedRun(study: "s") == nil)
        try store.putResult(runId: run.id!, task: "piqa", kind: "s1", value: "{\"x\":1}")
        try store.putResult(runId: run.id!, task: "piqa", kind: "s1", value: "{\"x\":2}")
        try store.finishRun(id: run.id!, captureSeconds: 1, analysisSeconds: 1, tokens: 5)
        #expect(try store.latestFinishedRun(study: "s")?.id == run.id)
        #expect(try store.result(runId: run.id!, task: "piqa", kind: "s1") == "{\"x\":2}")
        let dir = try TestPaths.tempDir("export")
        let csv = try RunExport.write(store: store, runId: run.id!, format: .csv, to: dir)
        #expect(csv.map(\.lastPathComponent) == ["samples.csv", "results.csv", "plots.csv", "README.md"])
        #expect(
            try String(contentsOf: csv[1], encoding: .utf8)
                == "run_id,task,kind,sample_id,value_json\n\(run.id!),piqa,s1,0,\"{\"\"x\"\":2}\"\n")
        #expect(try String(contentsOf: csv[3], encoding: .utf8).contains("## results.csv (1 rows)"))
        let json = try RunExport.write(store: store, runId: run.id!, format: .json, to: dir)
        #expect(try String(contentsOf: json[0], encoding: .utf8).contains("\"study\" : \"s\""))
        #expect(throws: StoreError.unknownRun(id: 99, path: ":memory:")) { try store.run(id: 99) }
    }

    @Test func csvQuotesOnlyWhereNeeded() {
        #expect(
            RunExport.csvText([["a", "b,c", "say \"hi\""], ["x\r\ny", "", "1.5"]])
                == "a,\"b,c\",\"say \"\"hi\"\"\"\n\"x\r\ny\",,1.5\n")
        #expect(RunExport.num(0.1) == "0.1" && RunExport.num(-.infinity) == "-inf" && RunExport.num(.nan) == "nan")
    }
}
