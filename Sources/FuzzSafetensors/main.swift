import Foundation
import FuzzSupport
import LiSA

// LiSA checkpoint files (safetensors: header length, JSON header, data), read as `lisa eval-lisa` does
// (seeds: small checkpoints written by Safetensors.write).
runFuzzer(seeds: { dir in
    let a: [Float] = (0..<12).map { Float($0) / 7 }, b: [Float] = [1, -2, 3.5, 0]
    try a.withUnsafeBufferPointer { pa in
        try b.withUnsafeBufferPointer { pb in
            try Safetensors.write(
                [("layers.3.align_ffn.w1", [3, 4], pa), ("layers.3.low_rank_q", [2, 2], pb)],
                metadata: ["model_sha256": "ab12", "rank": "2"], to: dir.appendingPathComponent("two.safetensors"))
            try Safetensors.write([("x", [4], pb)], metadata: [:], to: dir.appendingPathComponent("one.safetensors"))
        }
    }
}) { bytes in
    _ = try? Safetensors.read(writeScratch(bytes))
}
