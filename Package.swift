// swift-tools-version:6.0
// lisa-workbench: measure and remove cross-layer attention redundancy in pretrained LLMs (LiSA, TACL 2026).
import PackageDescription

let package = Package(
    name: "lisa-workbench",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "lisa", targets: ["lisa"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/JohnSundell/Ink", from: "0.6.0"),
        // Jinja-style templates of task files and lm-eval task YAMLs (issue 19).
        .package(url: "https://github.com/stencilproject/Stencil", from: "0.15.1"),
    ],
    targets: [
        // cblas from Debian's libopenblas-dev (pkg-config openblas).
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        // C kernels on weights in their ggml blocks: 8-bit activation quantization and integer block dot
        // products, with portable, AVX2, AVX-512 and AVX-512 VNNI paths chosen at start-up.
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O3", "-ffp-contract=off"])]),
        // Float32 buffers, BLAS products and the transformer kernels (and their backward passes). The only target
        // built -Ounchecked: pure numeric code that parses no input (issue 15).
        // Small helpers every layer may use and that belong to none: SHA-256, the seeded generator, atomic writes,
        // file faults as sentences, the one canonical JSON encoding.
        .target(name: "Basics"),
        // A persistent worker pool for short parallel regions (spinning workers; pthreads, every platform).
        .target(name: "CThreads"),
        .target(name: "Numerics", dependencies: ["COpenBLAS", "CThreads"],
                swiftSettings: [.unsafeFlags(["-Ounchecked"])]),
        // GGUF v2/v3: memory-mapped reader, writer, exact dequantization.
        .target(name: "GGUF"),
        // SentencePiece-BPE and GPT-2 byte-level BPE built from plain vocab/merges/scores.
        .target(name: "Tokenizers", dependencies: ["GGUF"]),
        // Architectures (llama, qwen2, gemma3), forward pass, KV cache, taps, attention policies, generation.
        .target(name: "Models", dependencies: ["Basics", "Numerics", "GGUF", "Tokenizers", "CKernels"]),
        // Task records from the data dir, deterministic sampling, prompt builders (lm-eval conventions).
        .target(name: "Datasets", dependencies: ["Basics"]),
        // One SQLite file through GRDB: named migrations, records, resume bookkeeping.
        .target(name: "Store", dependencies: ["Basics", .product(name: "GRDB", package: "GRDB.swift")]),
        // Pure functions: JS divergences, S1/S2 head alignments, cosine similarity, rankings.
        .target(name: "Analysis", dependencies: ["Basics"]),
        // Task scoring with lm-evaluation-harness conventions, sensitivity sweeps, layer recommender.
        .target(name: "Evaluation", dependencies: ["Basics", "Models", "Numerics", "Datasets", "Tokenizers",
                                                  .product(name: "Stencil", package: "Stencil"),
                                                  .product(name: "Yams", package: "Yams")]),
        // LiSA (Section 5): alignment FFN, low-rank Q/K difference, hand-written backward passes, trainer, checkpoints.
        .target(name: "LiSA", dependencies: ["Basics", "Models", "Numerics", "CKernels", "GGUF", "Tokenizers", "Datasets"]),
        // `lisa bench`: prefill, generation, decoding-step and training-step benchmarks, llama-bench side by side.
        .target(name: "Benchmarks", dependencies: ["Basics", "Models", "Numerics", "LiSA"]),
        // gnuplot scripts and data files → PNG/SVG.
        .target(name: "Plots"),
        // Study files (YAML) → capture → store → analyses → plots → reports.
        .target(name: "Studies", dependencies: ["Basics", "GGUF", "Models", "Datasets", "Store", "Analysis", "Plots", "Tokenizers", "Evaluation", "LiSA",
                                                .product(name: "Yams", package: "Yams")]),
        // `lisa site`: the committed reports/ as a static HTML site (Markdown through Ink), no server, relative links.
        .target(name: "Site", dependencies: ["Basics", "Store", .product(name: "Ink", package: "Ink"), .product(name: "Yams", package: "Yams")]),
        // The CLI's commands as a library, so tests can run them in-process.
        .target(name: "LisaCommands", dependencies: [
            "Basics", "Models", "GGUF", "Tokenizers", "Numerics", "Datasets", "Store", "Studies", "Evaluation", "LiSA", "Site",
            "Benchmarks",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "lisa", dependencies: ["LisaCommands"]),

        // Paths to the repository, ../shared and models/ for the tests.
        .target(name: "TestSupport", dependencies: ["GGUF"]),

        .testTarget(name: "GGUFTests", dependencies: ["GGUF", "TestSupport"], path: "Tests/GGUFTests"),
        .testTarget(name: "TokenizersTests", dependencies: ["TestSupport", "Tokenizers", "GGUF"], path: "Tests/TokenizersTests"),
        .testTarget(name: "NumericsTests", dependencies: ["Basics", "Numerics", "CKernels", "GGUF"], path: "Tests/NumericsTests"),
        .testTarget(name: "AnalysisTests", dependencies: ["TestSupport", "Analysis"], path: "Tests/AnalysisTests"),
        .testTarget(name: "DatasetsTests", dependencies: ["TestSupport", "Basics", "Datasets"], path: "Tests/DatasetsTests"),
        .testTarget(name: "StoreTests", dependencies: ["TestSupport", "Store", .product(name: "GRDB", package: "GRDB.swift")],
                    path: "Tests/StoreTests"),
        .testTarget(name: "StudiesTests", dependencies: ["TestSupport", "Basics", "Studies", "Store", "Analysis", "Models",
                                                     "Evaluation", "Datasets", "GGUF", "LiSA",
                                                     .product(name: "GRDB", package: "GRDB.swift")],
                    path: "Tests/StudiesTests"),
        .testTarget(name: "SiteTests", dependencies: ["TestSupport", "Site"], path: "Tests/SiteTests"),
        .testTarget(name: "CLITests", dependencies: ["TestSupport", "LisaCommands",
                                                     .product(name: "ArgumentParser", package: "swift-argument-parser")],
                    path: "Tests/CLITests"),
        .testTarget(name: "EvaluationTests", dependencies: ["TestSupport", "Basics", "Evaluation", "Models", "Datasets", "GGUF"],
                    path: "Tests/EvaluationTests"),
        .testTarget(name: "LiSATests", dependencies: ["TestSupport", "Basics", "LiSA", "Models", "Numerics", "GGUF", "Evaluation",
                                                  "Tokenizers"],
                    path: "Tests/LiSATests"),
        .testTarget(name: "ModelsTests", dependencies: ["TestSupport", "Models", "Analysis", "GGUF", "Tokenizers", "CKernels"],
                    path: "Tests/ModelsTests"),
    ],
    swiftLanguageModes: [.v5]
)

// libFuzzer targets (issue 15): only in the package when LISA_FUZZ is set, as scripts/fuzz does with
// `-sanitize=fuzzer,address` in its own scratch folder, so `swift build` and `swift test` never build them.
if Context.environment["LISA_FUZZ"] != nil {
    package.targets.append(.target(name: "FuzzSupport", path: "Sources/FuzzSupport"))
    let fuzzers: [(String, [Target.Dependency])] = [
        ("FuzzGGUF", ["GGUF", "Models", "Tokenizers", "TestSupport"]),
        ("FuzzTokenizers", ["GGUF", "Tokenizers", "TestSupport"]),
        ("FuzzJSONL", ["Datasets", "TestSupport"]),
        ("FuzzStudy", ["Studies", "TestSupport"]),
        ("FuzzSharing", ["Models", "TestSupport"]),
        ("FuzzSafetensors", ["LiSA"]),
    ]
    for (name, deps) in fuzzers {
        package.targets.append(.executableTarget(name: name, dependencies: ["FuzzSupport"] + deps, path: "Sources/\(name)"))
    }
}
