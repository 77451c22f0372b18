import Foundation

// libFuzzer glue shared by the Fuzz* executables (built only by scripts/fuzz, with LISA_FUZZ=1 and
// -sanitize=fuzzer,address). SwiftPM gives an executable's top-level code its own entry symbol and points
// `main` at it, so libFuzzer's own main is never linked: each main.swift calls `runFuzzer`, which hands the
// command line to LLVMFuzzerRunDriver.

@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafeRawPointer?, Int) -> CInt
) -> CInt

nonisolated(unsafe) private var body: (UnsafeRawBufferPointer) -> Void = { _ in }

/// libFuzzer's entry point: one input per call; a thrown (typed) error is a pass, a trap is a finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    body(UnsafeRawBufferPointer(start: count == 0 ? nil : start, count: count))
    return 0
}

/// Runs libFuzzer with `test` as the target, unless LISA_FUZZ_WRITE_SEEDS names a folder: then `seeds`
/// writes the seed corpus there (fuzz/corpus/<name>/ is made that way) and the process exits.
public func runFuzzer(
    seeds: (URL) throws -> Void = { _ in }, _ test: @escaping (UnsafeRawBufferPointer) -> Void
) -> Never {
    if let dir = ProcessInfo.processInfo.environment["LISA_FUZZ_WRITE_SEEDS"] {
        let url = URL(fileURLWithPath: dir)
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            try seeds(url)
            exit(0)
        } catch { FileHandle.standardError.write(Data("cannot write seeds: \(error)\n".utf8)); exit(1) }
    }
    body = test
    var argc = CommandLine.argc
    var argv = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzOneInput))
}

/// A scratch file per process (in /dev/shm when present) for the readers that take a path.
public let scratchFile: URL = {
    let dir = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
    return URL(fileURLWithPath: dir).appendingPathComponent("lisa-fuzz-\(getpid())")
}()

/// Writes the input to `scratchFile` and returns its URL.
public func writeScratch(_ bytes: UnsafeRawBufferPointer) -> URL {
    try? Data(bytes).write(to: scratchFile)
    return scratchFile
}
