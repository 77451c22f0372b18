import Foundation

/// Where tests find the repository, the shared oracles/data and the real model files.
public enum TestPaths {
    /// The package root (the folder holding Package.swift).
    public static let repoRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
        }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    }()

    /// ../shared beside the repository (env LISA_SHARED overrides).
    public static var shared: URL {
        if let s = ProcessInfo.processInfo.environment["LISA_SHARED"] { return URL(fileURLWithPath: s) }
        return repoRoot.deletingLastPathComponent().appendingPathComponent("shared")
    }
    public static var oracles: URL { shared.appendingPathComponent("oracles") }
    public static var data: URL { shared.appendingPathComponent("data") }
    public static var fixtures: URL { repoRoot.appendingPathComponent("Tests/Fixtures") }

    /// models/ in the repository (env LISA_MODELS overrides).
    public static var models: URL {
        if let s = ProcessInfo.processInfo.environment["LISA_MODELS"] { return URL(fileURLWithPath: s) }
        return repoRoot.appendingPathComponent("models")
    }
    public static var gemma: String { models.appendingPathComponent("gemma-3-270m-q4_k_m.gguf").path }
    public static var qwen: String { models.appendingPathComponent("qwen2.5-coder-1.5b-instruct-q4_k_m.gguf").path }

    public static var hasGemma: Bool { FileManager.default.fileExists(atPath: gemma) }
    /// Qwen is optional (`scripts/setup --with-qwen`); tests that need it carry `.needsQwen`.
    public static var hasQwen: Bool { FileManager.default.fileExists(atPath: qwen) }

    /// Why a test that needs Gemma 3 270M was skipped (scripts/setup downloads it).
    public static var gemmaAbsent: String { "Gemma 3 270M absent at \(gemma): run scripts/setup" }
    /// Why a test that needs Qwen2.5-Coder 1.5B was skipped.
    public static var qwenAbsent: String { "Qwen2.5 1.5B absent at \(qwen): run scripts/setup --with-qwen" }

    /// A fresh temporary directory for one test.
    public static func tempDir(_ tag: String = "lisa") throws -> URL {
        let u = FileManager.default.temporaryDirectory.appendingPathComponent("\(tag)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: u, withIntermediateDirectories: true)
        return u
    }

    /// Parses a JSON file from the oracles folder.
    public static func oracleJSON(_ name: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(contentsOf: oracles.appendingPathComponent(name)))
    }
}
