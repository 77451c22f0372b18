import ArgumentParser
import Foundation
import Models
import Numerics

/// `lisa bench roof`: the machine's sgemm and read-bandwidth roofs, and the quantized products' rates per kernel
/// path and row count on the model's own matrices.
struct BenchRoof: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "roof",
        abstract: "sgemm GFLOP/s, read GB/s and the quantized kernels' rates on the model's matrices.",
        discussion: "Example: lisa bench roof models/gemma-3-270m-q4_k_m.gguf --rows 1,8,32,128")
    @OptionGroup var modelOptions: ModelOptions
    @Option(help: "Comma-separated activation row counts.") var rows = "1,8,32,128,512"

    func run() throws {
        let ms = try commaIntegers(rows, option: "--rows", expected: "a positive row count", range: 1...Int.max)
        let m = try modelOptions.load()
        let t = modelOptions.threads
        print(
            "kernel path \(KernelPath.name) (supported: "
                + "\(KernelPath.supported.map(KernelPath.name).joined(separator: ", "))), "
                + "BLAS \(BLAS.coreName), \(t) threads")
        print(String(format: "sgemm 1024³: %.1f GFLOP/s", Roofline.sgemmGFLOPs()))
        print(String(format: "read bandwidth: %.1f GB/s", Roofline.readGBs(threads: t)))
        let w = m.transformer.weights
        var mats = [w.layers[0].wGate, w.layers[0].wDown, w.output]
        mats = mats.filter { $0.isQuantized }
        print("matrix                     type   rows×cols        m  path          ms      GMAC/s  weight GB/s")
        for mat in mats {
            for r in Roofline.products(mat, ms: ms) {
                print(
                    r.matrix.padding(toLength: 26, withPad: " ", startingAt: 0)
                        + " " + r.type.padding(toLength: 6, withPad: " ", startingAt: 0)
                        + " " + "\(r.rows)×\(r.cols)".padding(toLength: 14, withPad: " ", startingAt: 0)
                        + String(
                            format: " %4d  %@ %8.2f %9.1f %10.1f", r.m,
                            r.path.padding(toLength: 12, withPad: " ", startingAt: 0),
                            r.seconds * 1000, r.gmacs, r.gbs))
            }
        }
    }
}
