import Basics
import Foundation
import GRDB

// Rows of the study database (schema in Schema.swift). Layers and heads are 0-based (FIGURES.md C1).

/// A model, identified by the sha256 of its GGUF file.
public struct ModelRecord: Codable, FetchableRecord, MutablePersistableRecord, Equatable {
    public static let databaseTableName = "models"
    public var id: Int64?
    public var sha256: String
    public var fileName: String
    public var arch: String
    public var nLayers: Int
    public var nHeads: Int
    public var nKVHeads: Int
    public var headDim: Int
    public init(
        id: Int64? = nil, sha256: String, fileName: String, arch: String, nLayers: Int, nHeads: Int, nKVHeads: Int,
        headDim: Int
    ) {
        self.id = id; self.sha256 = sha256; self.fileName = fileName; self.arch = arch
        self.nLayers = nLayers; self.nHeads = nHeads; self.nKVHeads = nKVHeads; self.headDim = headDim
    }
    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// The sha256 cache: a file path with its size and mtime maps to a digest, computed once.
public struct ModelFileRecord: Codable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "modelFiles"
    public var path: String
    public var size: Int64
    public var mtime: Double
    public var sha256: String
}

/// A task file the samples come from.
public struct DatasetRecord: Codable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "datasets"
    public var id: Int64?
    public var task: String
    public var file: String
    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// One input as a model tokenized it.
public struct SampleRecord: Codable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "samples"
    public var id: Int64?
    public var datasetId: Int64
    public var modelId: Int64
    public var recordIndex: Int
    public var text: String
    /// JSON array of token ids.
    public var tokenIds: String
    public var nTokens: Int
    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    public var ids: [Int] { (try? CanonicalJSON.decoder().decode([Int].self, from: Data(tokenIds.utf8))) ?? [] }
}

/// Run status: running until every sample and the analyses are stored.
public enum RunStatus: String, Codable { case running, finished }

/// One execution of a study with fixed parameters.
public struct RunRecord: Codable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "runs"
    public var id: Int64?
    public var study: String
    public var modelId: Int64
    /// Canonical JSON of everything that determines the numbers (datasets, sample counts, seed, analyses).
    public var parameters: String
    public var seed: Int64
    public var status: RunStatus
    public var toolVersion: String
    public var startedAt: Date
    public var finishedAt: Date?
    public var captureSeconds: Double
    public var analysisSeconds: Double
    public var tokens: Int
    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// A sample captured within a run (the resume bookkeeping: present = done).
public struct RunSampleRecord: Codable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "runSamples"
    public var runId: Int64
    public var sampleId: Int64
    public var task: String
    public var ordinal: Int
    public var seconds: Double
}

/// The last-token probability row p_{n,i} (FIGURES.md C3) of one layer and query head: float32 blob [T].
public struct AttentionRowRecord: Codable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "attentionRows"
    public var runId: Int64
    public var sampleId: Int64
    public var layer: Int
    public var head: Int
    public var probs: Data
}

/// One analysis result (S1 matrix, S2 curves with the head map, top-k tokens, …) as JSON.
/// `sampleId` is 0 for results over all samples of a task.
public struct ResultRecord: Codable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "results"
    public var runId: Int64
    public var task: String
    public var kind: String
    public var sampleId: Int64
    public var value: String
}

/// A plot file produced from a run.
public struct PlotRecord: Codable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "plots"
    public var runId: Int64
    public var kind: String
    public var path: String
    public var createdAt: Date
}
