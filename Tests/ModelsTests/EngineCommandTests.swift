import CKernels
import Foundation
import GGUF
import Models
import TestSupport
import Testing

/// The engine's commands: `inspect --system` names the kernel path, `inspect --memory` and `bench prefill` print
/// the memory breakdown computed from the model, `LISA_KERNEL` forces a path, `bench roof` measures every path.
@Suite(.serialized) struct EngineCommandTests {
    @Test func inspectSystemNamesTheKernelPath() throws {
        let r = try LisaBinary.run(["inspect", "--system"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("Quantized kernels: path \(KernelPath.name)"))
        let forced = try LisaBinary.run(["inspect", "--system"], environment: ["LISA_KERNEL": "scalar"])
        #expect(forced.stdout.contains("Quantized kernels: path scalar"))
    }

    @Test(.needsGemma) func memoryBreakdownIsTheModelsOwn() throws {
        let m = try Transformer(gguf: GGUFFile(path: TestPaths.gemma))
        m.kvElement = .f16
        let b = MemoryBreakdown(model: m, tokens: 100)
        let c = m.config
        #expect(b.weights == m.weights.byteCount)
        #expect(b.kv == c.nLayers * 100 * c.kvDim * 2 * 2)  // K and V, F16
        #expect(b.scorePlanes == 4 * c.nHeads * 100 * 100 * 4)
        #expect(b.total == b.weights + b.kv + b.scratch + b.scorePlanes)
        let r = try LisaBinary.run(["inspect", TestPaths.gemma, "--memory", "--memory-tokens", "100"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains(String(format: "weights      %8.1f MiB", Double(b.weights) / 1_048_576)))
        #expect(r.stdout.contains(String(format: "K/V cache    %8.1f MiB  (100 positions)", Double(b.kv) / 1_048_576)))
    }

    @Test(.needsGemma) func benchRoofMeasuresEverySupportedPath() throws {
        let r = try LisaBinary.run(["bench", "roof", TestPaths.gemma, "--rows", "1,3"])
        #expect(r.status == 0, "\(r.stderr)")
        for p in KernelPath.supported.map(KernelPath.name) { #expect(r.stdout.contains(" \(p) "), "path \(p) missing") }
        #expect(
            r.stdout.contains("tile+sgemm") && r.stdout.contains("sgemm 1024³:") && r.stdout.contains("read bandwidth:")
        )
        let bad = try LisaBinary.run(["bench", "roof", TestPaths.gemma, "--rows", "1,x"])
        #expect(bad.status != 0 && bad.stderr.contains("--rows: \"x\" is not a positive row count."))
    }
}
